# Sourced by the scripts that put load on nginx: `start_nginx DIR` runs nginx with compare's
# own configuration (one worker, a 1 KiB file at /1k, connections kept alive) on CPU 1, in
# DIR, waits until it answers, and sets `nginx_pid` and `url`. The caller kills
# "$nginx_pid" when it is done.
start_nginx() {
    local dir=$1 port
    mkdir -p "$dir/www"
    head -c 1024 /dev/zero | tr '\0' a > "$dir/www/1k"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    sed "s/@PORT@/$port/" compare/config/nginx.conf > "$dir/nginx.conf"
    taskset -c 1 nginx -c "$(realpath "$dir")/nginx.conf" -p "$(realpath "$dir")/" >/dev/null 2>&1 &
    nginx_pid=$!
    url="http://127.0.0.1:$port/1k"
    for _ in $(seq 50); do
        python3 -c "import urllib.request; urllib.request.urlopen('$url')" 2>/dev/null && return
        kill -0 "$nginx_pid" 2>/dev/null || {
            echo "error: nginx exited at once (try: nginx -t -c $(realpath "$dir")/nginx.conf)" >&2
            return 1
        }
        sleep 0.1
    done
    echo "error: nginx did not answer at $url within 5 s" >&2
    return 1
}
