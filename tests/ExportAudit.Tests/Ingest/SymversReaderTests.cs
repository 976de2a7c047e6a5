using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Symvers;
using ExportAudit.Model;

namespace ExportAudit.Tests.Ingest;

public class SymversReaderTests
{
    private static (SymversFile File, IReadOnlyList<InputError> Errors) Read(string text)
    {
        var errors = new InputErrors();
        var file = SymversReader.Read("Module.symvers", new StringReader(text), errors);
        return (file, errors.Snapshot());
    }

    [Fact]
    public void Layout56_CrcSymbolModuleTypeNamespace()
    {
        var (file, errors) = Read("0x84b45156\tinsert_resource_expand_to_fit\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL\n0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n");
        Assert.Empty(errors);
        Assert.Equal(SymversLayout.Namespaced, file.Layout);
        Assert.Equal(new Export("insert_resource_expand_to_fit", ExportKind.GplOnly, "CXL", "vmlinux", 0x84b45156, null, new Site("Module.symvers", 1)), file.Exports[0]);
        Assert.Null(file.Exports[1].Namespace);
        Assert.False(file.Exports[1].IsGplOnly);
    }

    [Fact]
    public void Layout54_NamespaceThird()
    {
        var (file, errors) = Read("0x12345678\tusb_stor_probe1\tUSB_STORAGE\tdrivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\n0x00000001\tprintk\t\tvmlinux\tEXPORT_SYMBOL\n");
        Assert.Empty(errors);
        Assert.Equal(SymversLayout.NamespaceThird, file.Layout);
        Assert.Equal("USB_STORAGE", file.Exports[0].Namespace);
        Assert.Equal("drivers/usb/storage/usb-storage", file.Exports[0].Owner);
        Assert.Equal("usb-storage", file.Exports[0].OwnerName);
        Assert.True(file.Exports[0].IsGplOnly);
        Assert.Null(file.Exports[1].Namespace);
    }

    [Fact]
    public void LayoutFourColumn_WithOldExportTypes()
    {
        var (file, errors) = Read("0xdeadbeef\tfoo\tvmlinux\tEXPORT_SYMBOL_GPL_FUTURE\n0x1\tbar\tfs/x/x\tEXPORT_UNUSED_SYMBOL_GPL\n0x2\tbaz\tvmlinux\tEXPORT_UNUSED_SYMBOL\n");
        Assert.Empty(errors);
        Assert.Equal(SymversLayout.FourColumn, file.Layout);
        Assert.False(file.Exports[0].IsGplOnly); // _GPL_FUTURE: still usable by anyone
        Assert.True(file.Exports[1].IsGplOnly);
        Assert.False(file.Exports[2].IsGplOnly);
        Assert.Equal("EXPORT_SYMBOL_GPL_FUTURE", file.Exports[0].Kind.MacroName());
    }

    [Fact]
    public void LayoutThreeColumn_EveryExportIsPlain()
    {
        var (file, errors) = Read("0x0a1b2c3d\tprintk\tvmlinux\n");
        Assert.Empty(errors);
        Assert.Equal(SymversLayout.ThreeColumn, file.Layout);
        Assert.Equal(ExportKind.Plain, Assert.Single(file.Exports).Kind);
    }

    [Fact]
    public void EmptyFile_IsValid()
    {
        var (file, errors) = Read("");
        Assert.Empty(errors);
        Assert.Equal(SymversLayout.Empty, file.Layout);
        Assert.Empty(file.Exports);
    }

    [Fact]
    public void LayoutIsDecidedPerFile_ARowOfAnotherLayoutIsAnError()
    {
        var (file, errors) = Read("0x1\ta\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tb\tvmlinux\tEXPORT_SYMBOL\n0x3\tc\tvmlinux\tEXPORT_SYMBOL\tNS\n");
        var error = Assert.Single(errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("layout", error.Message);
        Assert.Equal(["a", "c"], file.Exports.Select(e => e.Name));
    }

    [Theory]
    [InlineData("0xZZ\tfoo\tvmlinux\tEXPORT_SYMBOL\t\n", "bad CRC")]
    [InlineData("0x123456789\tfoo\tvmlinux\tEXPORT_SYMBOL\t\n", "bad CRC")]
    [InlineData("0x1\tfoo\tvmlinux\tEXPORT_SYMBOL_GPLX\t\n", "not a Module.symvers row")]
    [InlineData("0x1\tfoo\n", "not a Module.symvers row")]
    [InlineData("0x1\t\tvmlinux\tEXPORT_SYMBOL\t\n", "empty symbol")]
    [InlineData("0x1\tfoo\tvmlinux\tEXPORT_SYMBOL\tNS\textra\n", "not a Module.symvers row")]
    [InlineData("\0\0\0binary\n", "binary")]
    public void BadRow_IsAnErrorWithPathAndLine_AndTheRestIsRead(string bad, string expected)
    {
        var (file, errors) = Read("0x1\tgood1\tvmlinux\tEXPORT_SYMBOL\t\n" + bad + "0x2\tgood2\tvmlinux\tEXPORT_SYMBOL\t\n");
        var error = Assert.Single(errors);
        Assert.Equal("Module.symvers", error.Path);
        Assert.Equal(2, error.Line);
        Assert.Contains(expected, error.Message);
        Assert.Equal(["good1", "good2"], file.Exports.Select(e => e.Name));
    }

    [Fact]
    public void Detector_RecognisesRowsByContent()
    {
        Assert.True(SymversDetector.LooksLikeSymvers("0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n"u8));
        Assert.False(SymversDetector.LooksLikeSymvers("module: foo\n"u8));
        Assert.False(SymversDetector.LooksLikeSymvers([0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]));
    }
}
