"""A TCP delay line for benchmarks: every byte is forwarded after half the round-trip time, in each direction.

The local pair answers over loopback in microseconds, so a benchmark there measures CPU only; a drift job in CI
reaches clusters in other regions, where each request costs a round trip. This proxy puts that round trip back:

    python -m benchmarks.latency_proxy --rtt-ms 10 57098:127.0.0.1:57097 57099:127.0.0.1:57081

Data read from one side is queued with its due time (now + rtt/2) and written when due, so the delay does not
cap the throughput (a pipelined stream stays pipelined). Connection set-up adds no extra delay (clients keep their
connections). A connection closed by either side is closed on both. It prints `ready` once every port listens
and runs until it is killed. It runs as its own process so that its work does not share the benchmark's
interpreter lock.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys


async def delayed_copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        while True:
            data = await reader.read(256 * 1024)
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def write() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    reading = asyncio.ensure_future(read())
    try:
        await write()
    finally:
        reading.cancel()


async def serve(listen: int, host: str, port: int, delay: float) -> asyncio.Server:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        # When either side closes, both are closed (after the delay, with what was in flight): no half-open
        # connection, where a request written after the server hung up would vanish instead of failing.
        copies = [asyncio.ensure_future(delayed_copy(client_r, upstream_w, delay)),
                  asyncio.ensure_future(delayed_copy(upstream_r, client_w, delay))]
        try:
            await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for copy in copies:
                copy.cancel()
            await asyncio.gather(*copies, return_exceptions=True)
            for w in (client_w, upstream_w):
                w.close()

    return await asyncio.start_server(handle, "127.0.0.1", listen, reuse_address=True)


async def main_async(routes: list[tuple[int, str, int]], rtt_ms: float) -> None:
    servers = [await serve(listen, host, port, rtt_ms / 2000) for listen, host, port in routes]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def parse_route(text: str) -> tuple[int, str, int]:
    listen, host, port = text.split(":")
    return int(listen), host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.latency_proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rtt-ms", type=float, required=True, help="round-trip time to add, in milliseconds")
    parser.add_argument("routes", nargs="+", type=parse_route, metavar="LISTEN:HOST:PORT")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_async(args.routes, args.rtt_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
