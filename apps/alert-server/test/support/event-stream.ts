import { request as httpRequest, IncomingMessage } from 'node:http';

/**
 * One server-sent events reader (`GET /events`, or a device's `GET /devices/{id}/events`): parses
 * the stream into events and comments as they arrive.
 */
export class EventStream {
  readonly events: Array<{ id: string | null; event: string; data: unknown; at: number }> = [];
  comments: string[] = [];
  response!: IncomingMessage;
  private buffer = '';
  private readonly request: ReturnType<typeof httpRequest>;

  ended = false;

  constructor(url: string, headers: Record<string, string> = {}, path = '/events') {
    this.request = httpRequest(`${url}${path}`, { headers });
  }

  open(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.request.on('response', (response) => {
        this.response = response;
        response.setEncoding('utf8');
        response.on('end', () => (this.ended = true));
        if (response.statusCode !== 200) resolve(this);
        response.on('data', (chunk: string) => {
          this.buffer += chunk;
          this.parse();
          if (this.comments.includes('connected')) resolve(this);
        });
      });
      this.request.on('error', reject);
      this.request.end();
    });
  }

  close(): void {
    this.request.destroy();
  }

  private parse(): void {
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | null = null;
      let event = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(': ')) this.comments.push(line.slice(2));
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (event) this.events.push({ id, event, data: JSON.parse(data), at: Date.now() });
    }
  }
}
