import QRCode from 'qrcode';
import { render as renderSvgTag } from 'qrcode/lib/renderer/svg-tag.js';

/**
 * The verification URL as a QR code in SVG (dark modules as one path), inline in the HTML page and drawn into
 * the PDF through svg-to-pdfkit. Synchronous: the library's own SVG renderer, fed with the encoded symbol,
 * needs no callback. Error correction M (15 %) survives a printed page's smudges without making the symbol
 * denser than a phone reads at arm's length.
 */
export function verificationQrSvg(url: string): string {
  const symbol = QRCode.create(url, { errorCorrectionLevel: 'M' });
  return renderSvgTag(symbol, { margin: 1, color: { dark: '#000000', light: '#ffffff' } });
}
