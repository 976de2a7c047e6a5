using ExportAudit.CustomRules;
using ExportAudit.Diagnostics;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Gate;

public class CustomRuleAndTrustTests
{
    private static readonly string Shim = TestPaths.Sample("shim");
    private static readonly string After = TestPaths.Sample("kernels", "hmm-4.20-after.yaml");

    private const string MarkerRule = """
        public sealed class MarkerRule : IModuleRule
        {
            public RuleDescriptor Descriptor { get; } = new("T0001", "marker", Severity.Note, "marker", "writes a file when it runs");
            public IEnumerable<Finding> Check(RuleContext context, KernelModule module)
            {
                System.IO.File.WriteAllText(System.Environment.GetEnvironmentVariable("EA_MARKER") ?? "/dev/null", "ran");
                yield break;
            }
        }
        """;

    [Fact]
    public void ShippedExampleRule_CompilesRuns_AndTheSecondLoadComesFromTheCache()
    {
        using var cache = new TempDir();
        var errors = new InputErrors();
        var rulesDir = Path.Combine(TestPaths.RepoRoot, "rules", "examples");
        var first = RuleCompiler.Load(rulesDir, cache.Path, errors);
        Assert.Empty(errors.Snapshot());
        Assert.False(first.FromCache);
        var rule = Assert.Single(first.ModuleRules);
        Assert.Equal("X1001", rule.Descriptor.Id);
        var second = RuleCompiler.Load(rulesDir, cache.Path, errors);
        Assert.True(second.FromCache);
        Assert.Single(Directory.GetFiles(cache.Path, "*.dll"));

        var r = Support.Cli.Run("check", "--kernel", After, Shim, "--rules", rulesDir, "--format", "json");
        Assert.Contains("\"rule\": \"X1001\"", r.Stdout);
        Assert.Contains("acme_core exports acme_core_register outside a namespace", r.Stdout);
    }

    [Fact]
    public void CompileError_IsFileAndLine_Exit2_AndTheAuditStillRuns()
    {
        using var dir = new TempDir();
        var file = dir.Write("rules/Broken.cs", "public sealed class Broken : IModuleRule\n{\n    public RuleDescriptor Descriptor => null!\n}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--rules", Path.Combine(dir.Path, "rules"), "--format", "modpost");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"exportaudit: {file}:3: error CS1002: ; expected", r.Stderr);
        Assert.Contains("GPL-incompatible module acme_uvm.ko", r.Stdout);
    }

    [Theory]
    [InlineData("EA1001", "reserved")]
    [InlineData("X1", "used twice")]
    public void RuleIds_MustBeOwnAndUnique(string id, string expected)
    {
        using var dir = new TempDir();
        string Rule(string name, string ruleId) => $$"""
            public sealed class {{name}} : IImportRule
            {
                public RuleDescriptor Descriptor { get; } = new("{{ruleId}}", "n", Severity.Note, "t", "h");
                public Finding? Check(RuleContext c, KernelModule m, Import i, Export e) => null;
            }
            """;
        dir.Write("rules/A.cs", Rule("A", id));
        dir.Write("rules/B.cs", Rule("B", "X1"));
        var errors = new InputErrors();
        RuleCompiler.Load(Path.Combine(dir.Path, "rules"), Path.Combine(dir.Path, "cache"), errors);
        Assert.Contains(errors.Snapshot(), e => e.Message.Contains(expected));
    }

    [Fact]
    public void ThrowingRule_IsAFindingOfItsOwn_NotACrash()
    {
        using var dir = new TempDir();
        dir.Write("rules/Thrower.cs", """
            public sealed class Thrower : IModuleRule
            {
                public RuleDescriptor Descriptor { get; } = new("T0002", "thrower", Severity.Note, "t", "h");
                public IEnumerable<Finding> Check(RuleContext context, KernelModule module) => throw new InvalidOperationException("boom");
            }
            """);
        var r = Support.Cli.Run("check", "--kernel", After, Shim, "--rules", Path.Combine(dir.Path, "rules"), "--format", "json");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("custom rule T0002 threw InvalidOperationException: boom", r.Stdout);
    }

    [Fact]
    public void RulesInsideAnInput_AreNeverRun_NeitherFoundNorNamed()
    {
        using var input = new TempDir();
        var marker = Path.Combine(input.Path, "..", Path.GetFileName(input.Path) + ".marker");
        Environment.SetEnvironmentVariable("EA_MARKER", marker);
        input.Write("rules/Marker.cs", MarkerRule);
        input.Write("exportaudit.yaml", "rules: rules\n");
        File.Copy(TestPaths.Sample("shim", "acme_core.yaml"), Path.Combine(input.Path, "acme_core.yaml"));

        // Started inside the input, the config there is found but refused.
        var found = Support.Cli.RunIn(input.Path, "check", "--kernel", After, input.Path);
        Assert.Contains("ignored, it is inside an input", found.Stderr);
        Assert.False(File.Exists(marker), "a rule from inside the input ran");

        // Named explicitly, a rules directory inside an input is still refused.
        var named = Support.Cli.Run("check", "--kernel", After, input.Path, "--rules", Path.Combine(input.Path, "rules"));
        Assert.Equal(2, named.ExitCode);
        Assert.Contains("custom rules are never loaded from an input or kernel path", named.Stderr);
        Assert.False(File.Exists(marker), "a rule from inside the input ran");
    }

    [Fact]
    public void ConfigFoundUpward_MakesTheCiJobOneCommand_AndNoConfigIgnoresIt()
    {
        using var repo = new TempDir();
        var rules = repo.Write("ci/rules/Marker.cs", MarkerRule);
        var marker = Path.Combine(repo.Path, "ran.marker");
        Environment.SetEnvironmentVariable("EA_MARKER", marker);
        repo.Write("exportaudit.yaml", $"kernel: {After}\npolicy: [ci/policy.yaml]\nrules: ci/rules\nfail_on: warning\n");
        repo.Write("ci/policy.yaml", "severity:\n  EA1001: warning\n");
        var work = Directory.CreateDirectory(Path.Combine(repo.Path, "src", "deep")).FullName;
        var r = Support.Cli.RunIn(work, "check", TestPaths.Sample("modules"), "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(1, r.ExitCode); // EA1001 is a warning now, and fail_on: warning
        Assert.Contains("\"severity\": \"warning\"", r.Stdout);
        Assert.True(File.Exists(marker));
        File.Delete(marker);

        var ignored = Support.Cli.RunIn(work, "check", "--no-config", "--kernel", After, TestPaths.Sample("modules"), "--format", "json");
        Assert.DoesNotContain("\"severity\": \"warning\"", ignored.Stdout);
        Assert.False(File.Exists(marker));
        Assert.True(rules.Length > 0);
    }
}
