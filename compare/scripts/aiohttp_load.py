# compare's asyncio + aiohttp client for the load step (peers.rs runs it with python3 -c).
import asyncio, json, resource, sys, time
import aiohttp

async def main(url, k, n):
    remaining, done, failed = n, 0, 0
    async def worker(session):
        nonlocal remaining, done, failed
        while remaining > 0:
            remaining -= 1
            try:
                async with session.get(url) as response:
                    body = await response.read()
                    if response.status != 200 or len(body) != 1024:
                        failed += 1
            except Exception:
                failed += 1
            done += 1
    connector = aiohttp.TCPConnector(limit=k, limit_per_host=k)
    async with aiohttp.ClientSession(connector=connector) as session:
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(k)))
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"requests": done, "failed": failed, "seconds": seconds,
                      "user_s": after.ru_utime - before.ru_utime,
                      "sys_s": after.ru_stime - before.ru_stime}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
