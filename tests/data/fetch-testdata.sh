#!/usr/bin/env bash
# Installs and locates the real data the test suite uses, resolving versions at run time:
#   - linux-headers-amd64 (Debian's current one): Module.symvers, .config and kbuild, whose modpost is
#     the oracle for modules the tests build;
#   - the linux-image-<abi>-amd64-unsigned package of the same ABI and version, unpacked into the cache:
#     4,000+ real modules, and the vmlinuz the load-time tests boot under qemu;
#   - gcc/make (kbuild), binutils (nm, objdump, readelf), kmod (modinfo): the oracles for module facts;
#   - qemu-system-x86, busybox-static, cpio: the real loader.
# Writes the resolved paths to $CACHE/env, which the tests read. Safe to run again: apt does nothing
# when the packages are there, and nothing is downloaded twice.
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/exportaudit-testdata"
mkdir -p "$CACHE"

need_pkgs=()
command -v make >/dev/null || need_pkgs+=(make)
command -v gcc >/dev/null || need_pkgs+=(gcc)
command -v nm >/dev/null || need_pkgs+=(binutils)
command -v modinfo >/dev/null || need_pkgs+=(kmod)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v zstd >/dev/null || need_pkgs+=(zstd)
# The load-time oracle: Debian's kernel under qemu, with a busybox initramfs and a static insmod helper.
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
[ -x /bin/busybox ] && /bin/busybox --help 2>&1 | grep -q 'static' || dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v git >/dev/null || need_pkgs+=(git) # the review tests make real patches with git format-patch
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need_pkgs+=(libc6-dev)
if ! dpkg -s linux-headers-amd64 >/dev/null 2>&1; then
  need_pkgs+=(linux-headers-amd64)
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "fetch-testdata: installing ${need_pkgs[*]}" >&2
  # An apt list older than a day may point at versions the mirror no longer has.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    $SUDO apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

# The headers package the metapackage points at: linux-headers-amd64 depends on exactly one ABI.
abi_pkg=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 | grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -1)
headers_version=$(dpkg-query -W -f='${Version}' "$abi_pkg")
headers_dir="/usr/src/${abi_pkg}"
if [ ! -f "$headers_dir/Module.symvers" ]; then
  echo "fetch-testdata: $headers_dir/Module.symvers missing after installing $abi_pkg" >&2
  exit 1
fi

# The image built from the same source with the same ABI: its modules are what the headers'
# Module.symvers describes (the -unsigned package: the same modules without signatures).
image_pkg="${abi_pkg/linux-headers-/linux-image-}-unsigned"
image_dir="$CACHE/debian/${image_pkg}_${headers_version}"
if [ ! -f "$image_dir/.unpacked" ]; then
  echo "fetch-testdata: downloading $image_pkg $headers_version" >&2
  rm -rf "$image_dir" && mkdir -p "$image_dir/deb"
  (cd "$image_dir/deb" && apt-get download -qq "$image_pkg=$headers_version" >&2) || {
    $SUDO apt-get update -qq >&2
    (cd "$image_dir/deb" && apt-get download -qq "$image_pkg=$headers_version" >&2)
  }
  dpkg -x "$image_dir"/deb/*.deb "$image_dir/root"
  rm -rf "$image_dir/deb"
  touch "$image_dir/.unpacked"
fi
modules_dir=$(ls -d "$image_dir"/root/lib/modules/*/ 2>/dev/null | head -1)
modules_dir="${modules_dir%/}"
if [ -z "$modules_dir" ]; then
  echo "fetch-testdata: no lib/modules in $image_pkg" >&2
  exit 1
fi

# Debian's 6.12 kernel (bookworm-security/backports): its modules ship as .ko.xz. The image and the
# headers of the ABI the linux-image-6.12-amd64 metapackage points at, unpacked, never installed.
fetch_unpacked() { # package version -> directory with root/
  local pkg=$1 version=$2 dir="$CACHE/debian/$1_$2"
  if [ ! -f "$dir/.unpacked" ]; then
    echo "fetch-testdata: downloading $pkg $version" >&2
    rm -rf "$dir" && mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download -qq "$pkg=$version" >&2 2>/dev/null) || {
      $SUDO apt-get update -qq >&2
      (cd "$dir/deb" && apt-get download -qq "$pkg=$version" >&2)
    }
    dpkg -x "$dir"/deb/*.deb "$dir/root"
    rm -rf "$dir/deb"
    touch "$dir/.unpacked"
  fi
  echo "$dir"
}
meta612=linux-image-6.12-amd64
if apt-cache show "$meta612" >/dev/null 2>&1 || { $SUDO apt-get update -qq >&2 && apt-cache show "$meta612" >/dev/null 2>&1; }; then
  version612=$(apt-cache policy "$meta612" | awk '/Candidate:/ {print $2}')
  abi612=$(apt-cache show "$meta612=$version612" | awk -F': ' '/^Depends:/ {print $2}' | grep -o 'linux-image-6\.12[^ ,|]*-amd64' | head -1)
  image612=$(fetch_unpacked "${abi612}-unsigned" "$version612")
  headers612=$(fetch_unpacked "${abi612/linux-image-/linux-headers-}" "$version612")
  modules612=$(ls -d "$image612"/root/lib/modules/*/ | head -1); modules612="${modules612%/}"
  headers612_dir=$(dirname "$(find "$headers612/root" -name Module.symvers | head -1)")
else
  echo "fetch-testdata: no $meta612 in this apt source" >&2
  exit 1
fi

# Other architectures' real trees, for ELF32 little-endian (i386) and ELF64 big-endian (s390x): the image
# and headers packages the flavour's metapackages point at, downloaded with apt lists of that architecture
# kept in the cache (the system's apt configuration is not touched) and unpacked, never installed.
fetch_foreign() { # arch image-meta -> "modules_dir headers_dir"
  local arch=$1 meta=$2 lists="$CACHE/apt-$1/lists"
  local opts=(-o "Dir::State::Lists=$lists" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Dir::Cache::archives=$CACHE/apt-$1/archives")
  mkdir -p "$lists/partial" "$CACHE/apt-$1/archives/partial"
  if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    # A mirror in mid-sync can fail one index; what was fetched is enough if the packages resolve below.
    apt-get "${opts[@]}" -qq update >&2 || echo "fetch-testdata: apt update for $arch reported errors" >&2
  fi
  local version abi dir
  version=$(apt-cache "${opts[@]}" policy "$meta" | awk '/Candidate:/ {print $2}')
  abi=$(apt-cache "${opts[@]}" show "$meta=$version" | awk -F': ' '/^Depends:/ {print $2}' | grep -o 'linux-image-[0-9][^ ,|]*' | head -1)
  for pkg in "$abi" "${abi/linux-image-/linux-headers-}"; do
    dir="$CACHE/debian/${pkg}_${version}_${arch}"
    if [ ! -f "$dir/.unpacked" ]; then
      echo "fetch-testdata: downloading $pkg $version ($arch)" >&2
      rm -rf "$dir" && mkdir -p "$dir/deb"
      (cd "$dir/deb" && apt-get "${opts[@]}" download -qq "$pkg=$version" >&2)
      dpkg -x "$dir"/deb/*.deb "$dir/root"
      rm -rf "$dir/deb"
      touch "$dir/.unpacked"
    fi
  done
  local image="$CACHE/debian/${abi}_${version}_${arch}" headers="$CACHE/debian/${abi/linux-image-/linux-headers-}_${version}_${arch}"
  local modules; modules=$(ls -d "$image"/root/lib/modules/*/ | head -1)
  echo "${modules%/} $(dirname "$(find "$headers/root" -name Module.symvers | head -1)")"
}
read -r modules_s390x headers_s390x < <(fetch_foreign s390x linux-image-s390x)
read -r modules_i386 headers_i386 < <(fetch_foreign i386 linux-image-686-pae)

# The other flavours of the same kernel (rt, cloud): their headers' Module.symvers, for `diff` between
# flavours (the ZFS-on-RT question). Downloaded and unpacked, not installed.
flavour_headers() { # flavour metapackage -> headers directory
  local meta=$1 version abi dir
  version=$(apt-cache policy "$meta" | awk '/Candidate:/ {print $2}')
  abi=$(apt-cache show "$meta=$version" | awk -F': ' '/^Depends:/ {print $2}' | grep -o 'linux-headers-[0-9][^ ,|]*' | head -1)
  dir=$(fetch_unpacked "$abi" "$version")
  dirname "$(find "$dir/root" -name Module.symvers | head -1)"
}
rt_headers=$(flavour_headers linux-headers-rt-amd64)
cloud_headers=$(flavour_headers linux-headers-cloud-amd64)

# Kernel source: Debian's linux-source-6.1 and -6.12 (the tarballs under /usr/src), unpacked into the
# cache once per package version, for the source scanner's recall test against the built Module.symvers.
source_tree() { # package -> unpacked tree
  local pkg=$1 version dir
  dpkg -s "$pkg" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$pkg" >&2
  version=$(dpkg-query -W -f='${Version}' "$pkg")
  dir="$CACHE/source/${pkg}_${version}"
  if [ ! -f "$dir/.unpacked" ]; then
    echo "fetch-testdata: unpacking $pkg $version" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xf "$(dpkg -L "$pkg" | grep -E '/usr/src/linux-source-.*\.tar\.xz$' | head -1)" -C "$dir"
    touch "$dir/.unpacked"
  fi
  ls -d "$dir"/linux-source-* | head -1
}
source61=$(source_tree linux-source-6.1)
source612=$(source_tree linux-source-6.12)

# Microsoft's SARIF multitool (a native binary in an npm package) validates the SARIF reports.
command -v npm >/dev/null || { $SUDO apt-get install -y -qq npm >&2; }
mt_version=$(npm view @microsoft/sarif-multitool-linux version 2>/dev/null || ls "$CACHE/npm" 2>/dev/null | sort -V | tail -1)
mt_dir="$CACHE/npm/$mt_version"
if [ ! -x "$mt_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ]; then
  echo "fetch-testdata: installing @microsoft/sarif-multitool-linux@$mt_version" >&2
  mkdir -p "$mt_dir" && (cd "$mt_dir" && npm install --no-save --silent --no-audit --no-fund "@microsoft/sarif-multitool-linux@$mt_version" >&2)
fi
multitool="$mt_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

cat > "$CACHE/env" <<ENV
EXPORTAUDIT_HEADERS_DIR=$headers_dir
EXPORTAUDIT_HEADERS_PACKAGE=$abi_pkg
EXPORTAUDIT_HEADERS_VERSION=$headers_version
EXPORTAUDIT_IMAGE_PACKAGE=$image_pkg
EXPORTAUDIT_MODULES_DIR=$modules_dir
EXPORTAUDIT_612_MODULES_DIR=$modules612
EXPORTAUDIT_612_HEADERS_DIR=$headers612_dir
EXPORTAUDIT_S390X_MODULES_DIR=$modules_s390x
EXPORTAUDIT_S390X_HEADERS_DIR=$headers_s390x
EXPORTAUDIT_I386_MODULES_DIR=$modules_i386
EXPORTAUDIT_I386_HEADERS_DIR=$headers_i386
EXPORTAUDIT_SARIF_MULTITOOL=$multitool
EXPORTAUDIT_RT_HEADERS_DIR=$rt_headers
EXPORTAUDIT_CLOUD_HEADERS_DIR=$cloud_headers
EXPORTAUDIT_SOURCE_61=$source61
EXPORTAUDIT_SOURCE_612=$source612
ENV
echo "fetch-testdata: $abi_pkg $headers_version at $headers_dir; $image_pkg at $modules_dir" >&2
