#!/usr/bin/env python3
"""proxy.py - the rig's TCP proxy that delays: every chunk read on one side is
written to the other DELAY_MS +- JITTER_MS later (uniform), in order per
direction, as a slow, jittery path would deliver it.

    proxy.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS JITTER_MS
"""
import asyncio
import random
import sys


async def pipe(reader, writer, delay, jitter):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    last = [0.0]

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            # in order: never earlier than the chunk before
            due = max(loop.time() + (delay + random.uniform(-jitter, jitter)) / 1000.0, last[0])
            last[0] = due
            await queue.put((due, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main():
    lhost, lport = sys.argv[1].rsplit(":", 1)
    thost, tport = sys.argv[2].rsplit(":", 1)
    delay, jitter = float(sys.argv[3]), float(sys.argv[4])

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection(thost, int(tport))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, sw, delay, jitter), pipe(sr, cw, delay, jitter))

    server = await asyncio.start_server(handle, lhost, int(lport))
    async with server:
        await server.serve_forever()


asyncio.run(main())
