using System.Runtime.Intrinsics;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Source;

/// <summary>
/// The scanner's vector searches have a 512-bit, a 256-bit and a byte-at-a-time way, and a machine runs only one of
/// them. These tests run the searches' own tests again in a child process with AVX-512, or AVX2, turned off (the
/// runtime's DOTNET_EnableAVX512 / DOTNET_EnableAVX2 knobs), so the narrower ways are held to the same answers.
/// </summary>
public class NarrowHardwareTests
{
    private const string Classes = "*.SkimTests|*.NeedleSetTests|*.UseSweepTests|*.NarrowHardwareTests";

    [Theory]
    [InlineData("DOTNET_EnableAVX512")] // Vector256 ways
    [InlineData("DOTNET_EnableAVX2")] // no Vector256: the scalar ways
    public void VectorSearches_GiveTheSameAnswers_WithoutTheWiderInstructions(string knob)
    {
        if (Environment.GetEnvironmentVariable("EXPORTAUDIT_NARROW_CHILD") is { } child)
        {
            Assert.Equal("0", Environment.GetEnvironmentVariable(child)); // a child: its knob is set, and it starts no more children
            return;
        }
        var assembly = typeof(NarrowHardwareTests).Assembly.Location;
        var run = Proc.Run("dotnet", [assembly, .. Classes.Split('|').SelectMany(c => new[] { "-class", c })],
            environment: new Dictionary<string, string> { [knob] = "0", ["EXPORTAUDIT_NARROW_CHILD"] = knob });
        Assert.True(run.ExitCode == 0, $"{knob}=0: exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");
        Assert.Matches(@"Total: [1-9][0-9]*, Errors: 0, Failed: 0, Skipped: 0", run.Stdout); // the xunit runner's summary: tests ran, none failed
    }

    [Fact]
    public void TheKnobs_TurnTheWiderWaysOff()
    {
        // In a child, that its knob took effect (else the narrower ways would not have run); in the parent, that the
        // 256-bit ways run wherever AVX2 is.
        var child = Environment.GetEnvironmentVariable("EXPORTAUDIT_NARROW_CHILD");
        if (child == "DOTNET_EnableAVX512") Assert.False(Vector512.IsHardwareAccelerated);
        else if (child == "DOTNET_EnableAVX2") Assert.False(Vector256.IsHardwareAccelerated);
        else Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, Vector256.IsHardwareAccelerated);
    }
}
