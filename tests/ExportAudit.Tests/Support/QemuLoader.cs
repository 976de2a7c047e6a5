using System.Text;
using System.Text.RegularExpressions;

namespace ExportAudit.Tests.Support;

/// <summary>What the real loader did: per insmod its errno, and the kernel log.</summary>
public sealed record BootResult(IReadOnlyList<(string Module, int Errno)> Insmods, IReadOnlyList<string> KernelLog, string Console);

/// <summary>
/// The load-time oracle: boots Debian's kernel (the vmlinuz of the image package the headers belong to)
/// under qemu with a busybox initramfs that insmods the given modules in order, then prints dmesg and
/// powers off. KVM when the machine has it, software emulation otherwise. The result is cached beside the
/// modules, keyed by their content, so a second run boots nothing.
/// </summary>
public static class QemuLoader
{
    public static BootResult Boot(string vmlinuz, IReadOnlyList<string> modules, string workDir)
    {
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            Encoding.UTF8.GetBytes(vmlinuz + "\0" + string.Join("\0", modules.Select(m => m + "\0" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(m))))))))[..16];
        var consoleFile = Path.Combine(workDir, $"boot-{key}.console");
        if (!File.Exists(consoleFile))
        {
            var root = Path.Combine(workDir, "initramfs-" + key);
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            Directory.CreateDirectory(Path.Combine(root, "mods"));
            File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
            // One init_module() per module (busybox's insmod retries a failed finit_module with init_module,
            // which would print every refusal twice), and the exact errno.
            var helper = Path.Combine(workDir, "ea-insmod.c");
            File.WriteAllText(helper, InsmodSource);
            var gcc = Proc.Run("gcc", ["-static", "-O2", "-o", Path.Combine(root, "bin", "ea-insmod"), helper], workDir);
            Assert.True(gcc.ExitCode == 0, "gcc -static failed: " + gcc.Stderr);
            var init = new StringBuilder("#!/bin/busybox sh\n/bin/busybox mkdir -p /proc /sys /dev\n/bin/busybox mount -t proc proc /proc\n");
            foreach (var module in modules)
            {
                var name = Path.GetFileName(module);
                File.Copy(module, Path.Combine(root, "mods", name));
                // busybox prints strerror(errno) on failure; keep it, and the exit status, on one marked line.
                init.Append($"/bin/ea-insmod /mods/{name} {Path.GetFileNameWithoutExtension(name)}\n");
            }
            init.Append("echo EA-DMESG-BEGIN\n/bin/busybox dmesg\necho EA-DMESG-END\n/bin/busybox poweroff -f\n");
            File.WriteAllText(Path.Combine(root, "init"), init.ToString().Replace("\r", ""));
            Assert.Equal(0, Proc.Run("chmod", ["755", Path.Combine(root, "init")]).ExitCode);
            var initrd = Path.Combine(workDir, $"initrd-{key}.cpio");
            var cpio = Proc.Run("sh", ["-c", $"find . | cpio -o -H newc > '{initrd}'"], root);
            Assert.True(cpio.ExitCode == 0, "cpio failed: " + cpio.Stderr);
            // Software emulation: KVM is not reliably usable in the sandboxes this runs in, and TCG takes seconds.
            const string accel = "tcg";
            var qemu = Proc.Run("qemu-system-x86_64", [
                "-machine", "accel=" + accel, "-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                "-kernel", vmlinuz, "-initrd", initrd,
                "-append", "console=ttyS0 panic=-1 loglevel=4 rdinit=/init",
            ], workDir, timeoutSeconds: 300);
            Assert.True(qemu.Stdout.Contains("EA-DMESG-END"), $"the test kernel did not finish (qemu exit {qemu.ExitCode}):\n{qemu.Stdout}\n{qemu.Stderr}");
            File.WriteAllText(consoleFile + ".tmp", qemu.Stdout);
            File.Move(consoleFile + ".tmp", consoleFile);
            Directory.Delete(root, recursive: true);
            File.Delete(initrd);
        }
        return Parse(File.ReadAllText(consoleFile));
    }

    private const string InsmodSource = """
        #include <errno.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        /* ea-insmod FILE NAME: one init_module() call; prints "EA-INSMOD NAME 0" or "EA-INSMOD NAME -ERRNO". */
        int main(int argc, char **argv) {
            FILE *f = fopen(argv[1], "rb");
            if (!f) { perror(argv[1]); return 2; }
            fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
            char *buf = malloc(n);
            if (fread(buf, 1, n, f) != (size_t)n) return 2;
            long r = syscall(SYS_init_module, buf, (unsigned long)n, "");
            printf("EA-INSMOD %s %d\n", argv[2], r == 0 ? 0 : -errno);
            fflush(stdout);
            return 0;
        }
        """;

    private static readonly Regex Timestamp = new(@"^\[\s*\d+\.\d+\]\s?", RegexOptions.Compiled);

    private static BootResult Parse(string console)
    {
        var lines = console.Replace("\r", "").Split('\n');
        var insmods = new List<(string, int)>();
        var log = new List<string>();
        var inDmesg = false;
        foreach (var line in lines)
        {
            var marker = line.IndexOf("EA-INSMOD ", StringComparison.Ordinal);
            if (marker >= 0)
            {
                // The kernel's own console output can share the line.
                var parts = line[marker..].Split(' ');
                insmods.Add((parts[1], int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (line == "EA-DMESG-BEGIN")
            {
                inDmesg = true;
            }
            else if (line == "EA-DMESG-END")
            {
                inDmesg = false;
            }
            else if (inDmesg)
            {
                log.Add(Timestamp.Replace(line, ""));
            }
        }
        return new BootResult(insmods, log, console);
    }
}
