using System.Text;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

public class KbuildIncludeTests
{
    [Fact]
    public void IncludedNames_TakeLocalIncludesAtALinesStart_AndNothingElse()
    {
        var text = "#include \"a.c\"\n  \t# include \"sub/b.h\"\r\n#include <linux/c.h>\nx = 1; #include \"not_at_start.c\"\n" +
                   "#  include \"two_spaces.c\"\n#include \"unterminated.c\n#include \"\"\n// #include \"commented.c\"\n#include \"last.h\"";
        Assert.Equal(["a.c", "sub/b.h", "last.h"], KbuildOwners.IncludedNames(Encoding.ASCII.GetBytes(text)));
        Assert.Empty(KbuildOwners.IncludedNames([]));
        Assert.Empty(KbuildOwners.IncludedNames("include \"x\""u8));
    }
}
