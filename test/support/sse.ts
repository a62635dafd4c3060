/** One Server-Sent Events message, its data parsed as JSON. */
export type SseMessage = { event: string; id?: string; data: any };

/**
 * Reads a Server-Sent Events stream as a browser's EventSource would (event, id, data lines),
 * into `messages`; `until` waits for a condition on them; `close` hangs up.
 */
export const openSse = async (url: string, headers: Record<string, string> = {}) => {
  const hangUp = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: hangUp.signal });
  const messages: SseMessage[] = [];
  const read = (async () => {
    if (!response.ok || !response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const message: SseMessage = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of buffer.slice(0, end).split('\n')) {
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'event') message.event = value;
            if (field === 'id') message.id = value;
            if (field === 'data') data.push(value);
          }
          buffer = buffer.slice(end + 2);
          if (data.length > 0) messages.push({ ...message, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch (error) {
      if (!hangUp.signal.aborted) throw error;
    }
  })();
  return {
    response,
    messages,
    /** Resolves once `condition(messages)` holds; fails after `ms`. */
    until: async (condition: (messages: SseMessage[]) => boolean, ms = 10_000) => {
      for (const deadline = Date.now() + ms; !condition(messages); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > deadline) throw new Error(`Not seen within ${ms} ms; messages so far: ${JSON.stringify(messages)}`);
      }
      return messages;
    },
    /** Resolves once the server has ended the stream. */
    ended: read,
    close: () => hangUp.abort(),
  };
};
