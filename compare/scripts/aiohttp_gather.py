# compare's asyncio + aiohttp client for the cost model (scale.rs runs it with python3 -c).
import asyncio, json, sys, time
import aiohttp

async def main(count, base):
    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def fetch(n):
            try:
                async with session.get(f"{base}/doc/{n}") as response:
                    body = await response.read()
                    return "" if response.status == 200 and len(body) == 1024 else f"HTTP {response.status}"
            except Exception as err:
                return type(err).__name__
        errors = await asyncio.gather(*(fetch(n) for n in range(count)))
    failed = [e for e in errors if e]
    print(json.dumps({"succeeded": count - len(failed), "fetch_ms": (time.perf_counter() - start) * 1000,
                      "errors": sorted(set(failed))}))

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
