import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A debugger, as DevTools or VS Code is one: a client of the inspector protocol over the
 * WebSocket a `--inspect` process listens on. Node.js 20 has no WebSocket client, so this
 * is the least of one: the opening handshake, masked text frames out, text frames in.
 */
export interface InspectorMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class InspectorClient extends EventEmitter<{ event: [InspectorMessage]; close: [] }> {
  private nextId = 1;
  private readonly pending = new Map<number, (message: InspectorMessage) => void>();
  private buffer = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('close', () => this.emit('close'));
    socket.on('error', () => socket.destroy());
  }

  static connect(url: string): Promise<InspectorClient> {
    return new Promise((resolve, reject) => {
      const req = request(url.replace(/^ws:/, 'http:'), {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '13' },
      });
      req.on('error', reject);
      req.on('upgrade', (_res, socket, head) => {
        const client = new InspectorClient(socket);
        if (head.length > 0) client.receive(head);
        resolve(client);
      });
      req.end();
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<InspectorMessage> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    const mask = randomBytes(4);
    const header =
      payload.length < 126
        ? Buffer.from([0x81, 0x80 | payload.length])
        : Buffer.concat([Buffer.from([0x81, 0x80 | 126]), Buffer.from([payload.length >> 8, payload.length & 0xff])]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i & 3]!));
    this.socket.write(Buffer.concat([header, mask, masked]));
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  close(): void {
    this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const opcode = this.buffer[0]! & 0x0f;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === 0x8) this.socket.end();
      if (opcode !== 0x1) continue;
      const message = JSON.parse(payload.toString('utf8')) as InspectorMessage;
      const reply = message.id === undefined ? undefined : this.pending.get(message.id);
      if (reply) {
        this.pending.delete(message.id!);
        reply(message);
      } else this.emit('event', message);
    }
  }
}
