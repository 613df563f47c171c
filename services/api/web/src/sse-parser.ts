/** One Server-Sent Event: its `id` (when the block had one) and its data lines joined. */
export interface SseEvent {
  id: string | null;
  event: string | null;
  data: string;
}

/**
 * Splits a text/event-stream into events as chunks arrive (WHATWG HTML §9.2.6): blocks end at a
 * blank line, lines may end in CRLF, CR or LF, `:` lines are comments (heartbeats), and a block
 * without data lines dispatches nothing. Returns a function fed each chunk, giving the events it
 * completed.
 */
export function createSseParser(): (chunk: string) => SseEvent[] {
  let buffer = '';
  let pendingCr = false;
  return (chunk) => {
    let text = chunk;
    // A CRLF split across two chunks: the LF belongs to the CR already read.
    if (pendingCr && text.startsWith('\n')) text = text.slice(1);
    pendingCr = text.endsWith('\r');
    buffer += text.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data: string[] = [];
      let id: string | null = null;
      let event: string | null = null;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
        else if (field === 'event') event = value;
      }
      if (data.length > 0) events.push({ id, event, data: data.join('\n') });
    }
    return events;
  };
}
