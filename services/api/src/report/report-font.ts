import { createRequire } from 'node:module';

/**
 * Noto Sans SC (OFL-1.1) as TrueType, from the `@expo-google-fonts/noto-sans-sc` package: a CJK font whose
 * glyphs are `glyf` outlines, which PDFKit subsets reliably (CID-keyed CFF fonts, as the OTF packages ship,
 * are where its subsetter is weakest). It carries Latin, digits and `°` too, so one family serves every label
 * in both languages. Only the glyphs a report uses are embedded.
 */
const FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
} as const;

export type ReportFontWeight = keyof typeof FONT_FILES;

/** The family name the report's HTML and chart ask for; the PDF uses the files themselves. */
export const REPORT_FONT_FAMILY = 'Noto Sans SC';

const require = createRequire(import.meta.url);

/**
 * The font file's path. PDFKit is given the path rather than the bytes: it caches fonts by a string source,
 * and its tables restore the previous font after a styled cell by that source, so a font given as bytes would
 * be parsed again for every cell (seconds for a report); given as a path, it is opened once per document.
 */
export function reportFontPath(weight: ReportFontWeight): string {
  return require.resolve(FONT_FILES[weight]);
}
