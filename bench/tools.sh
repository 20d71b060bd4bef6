# Sourced by bench/load.sh and bench/passthrough.sh: installs the Debian
# packages the benchmarks need when they are missing (wrk, nginx-light,
# curl; apt-get as root or through `sudo -n`), and leaves no service
# behind. Debian's nginx-light package enables the nginx service and starts
# it on port 80; the benchmarks run nginx from its binary with a temporary
# prefix (`nginx -p DIR -c CONF`, stopped by their exit trap), so after
# installing it the service is stopped and disabled again (systemd, or the
# init script where there is no systemd). An nginx that was already
# installed is left as it was.

# install_bench_tools WHO: installs what is missing; exits on failure.
install_bench_tools() {
  local who=$1 sudo pkgs=()
  command -v wrk >/dev/null || pkgs+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light)
  command -v curl >/dev/null || pkgs+=(curl)
  [ ${#pkgs[@]} -gt 0 ] || return 0
  echo "$who: installing ${pkgs[*]} (Debian packages)"
  [ "$(id -u)" = 0 ] && sudo="" || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; }; then
    echo "$who: error: could not install ${pkgs[*]} with apt-get; install them and run again" >&2
    exit 1
  fi
  case " ${pkgs[*]} " in
    *" nginx-light "*) stop_service "$who" "$sudo" nginx /run/nginx.pid ;;
  esac
}

# stop_service WHO SUDO NAME PIDFILE: stops and disables the system service
# NAME a package just started (nginx, redis-server); exits when it is still
# running afterwards (PIDFILE names a live process).
stop_service() {
  local who=$1 sudo=$2 name=$3 pidfile=$4
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now "$name.service" >/dev/null 2>&1 || true
    if systemctl is-active --quiet "$name.service"; then
      echo "$who: error: the $name service is still running after systemctl disable --now" >&2
      exit 1
    fi
  elif [ -x "/etc/init.d/$name" ]; then
    $sudo "/etc/init.d/$name" stop >/dev/null 2>&1 || true
    $sudo update-rc.d "$name" disable >/dev/null 2>&1 || true
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$who: error: the $name service (pid $(cat "$pidfile")) is still running after its init script's stop" >&2
      exit 1
    fi
  fi
  echo "$who: the $name service the package started is stopped and disabled (the tests and benchmarks run their own)"
}
