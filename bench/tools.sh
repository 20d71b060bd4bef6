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
    *" nginx-light "*) stop_nginx_service "$who" "$sudo" ;;
  esac
}

# stop_nginx_service WHO SUDO: stops and disables the nginx service the
# package just started; exits when it is still running afterwards.
stop_nginx_service() {
  local who=$1 sudo=$2
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now nginx.service >/dev/null 2>&1 || true
    if systemctl is-active --quiet nginx.service; then
      echo "$who: error: the nginx service is still running after systemctl disable --now" >&2
      exit 1
    fi
  elif [ -x /etc/init.d/nginx ]; then
    $sudo /etc/init.d/nginx stop >/dev/null 2>&1 || true
    $sudo update-rc.d nginx disable >/dev/null 2>&1 || true
    if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
      echo "$who: error: the nginx service (pid $(cat /run/nginx.pid)) is still running after its init script's stop" >&2
      exit 1
    fi
  fi
  echo "$who: the nginx service the package started is stopped and disabled (the benchmark runs its own nginx)"
}
