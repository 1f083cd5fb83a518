import { SseParser } from './sse';

describe('SseParser', () => {
  it('yields events split across chunks at any point', () => {
    const text =
      ': comment\nevent: state\ndata: {"a":1}\n\nevent: state\ndata: line1\ndata: line2\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(out).toEqual([
        { event: 'state', data: '{"a":1}' },
        { event: 'state', data: 'line1\nline2' },
      ]);
    }
  });

  it('names an event without an event field "message" and skips empty ones', () => {
    const p = new SseParser();
    expect(p.push('data: x\n\nevent: ping\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
