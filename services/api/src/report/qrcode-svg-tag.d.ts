// The qrcode package's SVG renderer, which its typings do not declare: it turns an encoded symbol into an
// `<svg>` string synchronously.
declare module 'qrcode/lib/renderer/svg-tag.js' {
  import type { QRCode, QRCodeRenderersOptions } from 'qrcode';
  export function render(symbol: QRCode, options?: QRCodeRenderersOptions): string;
}
