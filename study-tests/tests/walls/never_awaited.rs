// A coroutine that is never awaited: asyncio warns when the program runs ("coroutine
// 'mysleep' was never awaited"); rustc warns when it compiles it.

async fn mysleep(seconds: f64) -> f64 {
    seconds * seconds
}

fn main() {
    mysleep(1.0);
}
