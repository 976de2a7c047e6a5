using ExportAudit.Fuzz;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Fuzz;

/// <summary>
/// The fuzz targets of tests/ExportAudit.Fuzz, run in the suite: every crash AFL++ ever found (kept in
/// crashes/TARGET/) must now be a clean input error, and a fixed-seed mutation run over real seeds must
/// not crash either (a fast check; fuzz.sh does the coverage-guided runs).
/// </summary>
public class FuzzRegressionTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCrashFoundByFuzzing_IsNowACleanInputError(string target)
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "tests", "ExportAudit.Tests", "Fuzz", "crashes", target);
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir) : [];
        foreach (var file in files)
        {
            FuzzTargets.All[target](File.ReadAllBytes(file));
        }
        if (target is "yaml" or "csource" or "patch")
        {
            Assert.True(files.Length > 0, "the crashes found by fuzzing are kept as regressions");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void MutatedRealInputs_NeverCrash(string target)
    {
        var seeds = Seeds(target);
        Assert.NotEmpty(seeds);
        var random = new Random(20261125);
        var runs = 0;
        foreach (var seed in seeds)
        {
            FuzzTargets.All[target](seed);
            for (var i = 0; i < 400; i++)
            {
                FuzzTargets.All[target](Mutate(seed, random));
                runs++;
            }
        }
        Assert.True(runs >= 400);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(5))
        {
            case 0: // flip bytes
                for (var k = 0; k < 1 + random.Next(8) && bytes.Length > 0; k++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length + 1)];
            case 2: // interesting values into a header-sized prefix
                for (var k = 0; k < 4 && bytes.Length > 0; k++)
                {
                    var at = random.Next(Math.Min(bytes.Length, 128));
                    var value = new byte[] { 0x00, 0xff, 0x7f, 0x80, 0xfe }[random.Next(5)];
                    bytes[at] = value;
                }
                return bytes;
            case 3: // duplicate a slice
                if (bytes.Length < 2) return bytes;
                var from = random.Next(bytes.Length);
                var length = random.Next(Math.Min(64, bytes.Length - from));
                return [.. bytes[..from], .. bytes.AsSpan(from, length).ToArray(), .. bytes[from..]];
            default: // random bytes
                var junk = new byte[random.Next(256)];
                random.NextBytes(junk);
                return junk;
        }
    }

    private static IReadOnlyList<byte[]> Seeds(string target)
    {
        var small = Directory.EnumerateFiles(Support.RealData.ModulesDir, "*.ko", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length < 12_000).Order(StringComparer.Ordinal).Take(2).ToArray();
        return target switch
        {
            "elf" or "vmlinux" => [.. small.Select(File.ReadAllBytes), ElfFixture.Build(false, true, 8), ElfFixture.Build(true, false, 62)],
            "modinfo" => [System.Text.Encoding.ASCII.GetBytes(ElfFixture.Modinfo)],
            "symvers" => [System.Text.Encoding.UTF8.GetBytes(string.Join("\n", File.ReadLines(Support.RealData.HeadersSymvers).Take(30)))],
            "yaml" => Directory.GetFiles(TestPaths.Samples, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray(),
            "compressed" => small.Take(1).Select(f => Compress(f)).ToArray(),
            "csource" => new[] { "kernel/module/version.c", "drivers/pwm/pwm-lpss.c" }.Select(f => File.ReadAllBytes(Path.Combine(Support.RealData.Source61, f))).ToArray(),
            "patch" => [.. Directory.GetFiles(TestPaths.Sample("patches")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
                System.Text.Encoding.UTF8.GetBytes("--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,9 @@\n int f(void)\n-{ return g(); }\n+{\n+\treturn gpl_only(1);\n+}\n+EXPORT_SYMBOL(f);\n+#define EXP(x) EXPORT_SYMBOL_GPL(x)\n+EXP(h);\n+/* EXPORT_SYMBOL(comment) */\n+int z;\n")],
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
    }

    private static byte[] Compress(string file)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(File.ReadAllBytes(file));
        }
        return output.ToArray();
    }
}
