#!/usr/bin/env bash
# The runtime layer of the daemonless (Jib) image, which starts FROM scratch: no base image can be
# pulled without a registry, so the build makes what a base image would give.
#   OUT/opt/java                 a JRE cut by jlink from the building JDK (>= 21)
#   OUT/lib, OUT/lib64, OUT/usr  the glibc, libstdc++ and libgcc shared libraries that this JRE and
#                                the native libraries in the application's jars (ONNX Runtime, the
#                                DJL tokenizer) link against, copied from the build machine
#   OUT/etc/passwd, group        the unprivileged user the container runs as (docrag, 10001)
#   OUT/tmp, OUT/data            writable by that user (native libraries are unpacked to /tmp)
# Usage: runtime-layer.sh OUT CLASSPATH   (JDK from JAVA_HOME; run by the `image` Maven profile)
set -euo pipefail
out=$1; classpath=${2:-}
: "${JAVA_HOME:?JAVA_HOME must point at a JDK >= 21}"
rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/proc" "$out/data/docrag"

# java.se: PDFBox needs java.desktop, the AWS SDK java.naming, the catalog java.sql; the rest are
# what the service itself uses (HTTP server, SIMD vectors, sun.misc.Signal, ZIP file systems).
"$JAVA_HOME/bin/jlink" --add-modules java.se,jdk.httpserver,jdk.incubator.vector,jdk.unsupported,jdk.management,jdk.zipfs,jdk.charsets,jdk.naming.dns,jdk.crypto.ec,jdk.localedata \
    --include-locales=en --strip-debug --no-man-pages --no-header-files --compress=zip-6 --output "$out/opt/java"

# Native libraries inside the application's jars, linux x86-64 only: their dependencies count too.
natives=$(mktemp -d)
trap 'rm -rf "$natives"' EXIT
IFS=: read -r -a jars <<<"$classpath"
for jar in "${jars[@]}"; do
  case "$jar" in *onnxruntime*|*tokenizers*) unzip -q -o "$jar" '*linux-x*64*/*.so' -d "$natives" 2>/dev/null || true ;; esac
done

# Every shared library that any ELF file of the JRE or those natives needs, at its own path.
# (The X11 parts of AWT are left out: the JVM runs headless and never loads them.)
find "$out/opt/java" "$natives" -type f \( -name '*.so' -o -perm -u+x \) \
    ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' -print0 \
  | xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib64\// {print $1}' | sort -u \
  | while read -r lib; do
      case "$lib" in "$out"/*|"$natives"/*) continue ;; esac
      real=$(readlink -f "$lib")
      mkdir -p "$out$(dirname "$lib")"
      cp "$real" "$out$lib"
    done
[ -f "$out/lib64/ld-linux-x86-64.so.2" ] || { echo "runtime-layer: no dynamic loader found (ldd output empty?)" >&2; exit 1; }

printf 'root:x:0:0:root:/root:/sbin/nologin\ndocrag:x:10001:10001:docrag:/tmp:/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\ndocrag:x:10001:\n' > "$out/etc/group"
echo "runtime layer: $(du -sh "$out" | cut -f1) in $out"
