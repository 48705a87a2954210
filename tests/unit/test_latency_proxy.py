"""The benchmarks' delay line adds the round-trip time it is given, and keeps a pipelined stream pipelined."""
from __future__ import annotations

import asyncio
import time

from benchmarks.latency_proxy import serve


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def round_trips(rtt_ms: float) -> tuple[float, float]:
    """(seconds of one request/answer, seconds of 20 requests sent back to back) through the proxy."""
    upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = upstream.sockets[0].getsockname()[1]
    proxy = await serve(0, "127.0.0.1", port, rtt_ms / 2000)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.sockets[0].getsockname()[1])
    start = time.perf_counter()
    writer.write(b"ping")
    assert await reader.readexactly(4) == b"ping"
    single = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(20):
        writer.write(b"%02d" % i)
    assert await reader.readexactly(40) == b"".join(b"%02d" % i for i in range(20))
    pipelined = time.perf_counter() - start
    writer.close()
    proxy.close()
    upstream.close()
    return single, pipelined


def test_one_round_trip_takes_the_rtt_and_a_pipeline_only_one() -> None:
    single, pipelined = asyncio.run(round_trips(40))
    assert 0.040 <= single < 0.150
    assert 0.040 <= pipelined < 0.150  # 20 requests in flight cost one RTT, not twenty (0.8 s)


async def server_hangs_up() -> bytes:
    """The upstream answers once and closes; the client must see the close, not a connection that eats requests."""
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(4)
        writer.write(b"pong")
        await writer.drain()
        writer.close()

    upstream = await asyncio.start_server(once, "127.0.0.1", 0)
    proxy = await serve(0, "127.0.0.1", upstream.sockets[0].getsockname()[1], 0.005)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.sockets[0].getsockname()[1])
    writer.write(b"ping")
    answer = await reader.readexactly(4)
    rest = await asyncio.wait_for(reader.read(), timeout=2)  # EOF, not a 2 s wait
    writer.close()
    proxy.close()
    upstream.close()
    return answer + rest


def test_a_server_close_reaches_the_client() -> None:
    assert asyncio.run(server_hangs_up()) == b"pong"
