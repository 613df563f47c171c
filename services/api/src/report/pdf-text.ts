import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** Every page's text as PDF.js extracts it, the pages joined by a line break. For the tests. */
export async function pdfText(pdf: Buffer): Promise<{ pages: number; text: string }> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(''));
  }
  await doc.destroy();
  return { pages: pages.length, text: pages.join('\n') };
}
