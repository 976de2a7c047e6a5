using System.Text;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

public class Utf8NameSetTests
{
    [Fact]
    public void EveryName_IsFound_AndOthersAreNot_WhateverTheSetsSize()
    {
        foreach (var count in new[] { 1, 10, 25_000 })
        {
            var names = Enumerable.Range(0, count).Select(i => $"export_{i}").Append("x").Append("ab").ToArray();
            var set = new Utf8NameSet(names);
            foreach (var name in names)
            {
                Assert.True(set.TryGetValue(Encoding.ASCII.GetBytes(name), out var found), name);
                Assert.Equal(name, found);
            }
            // Locals, keywords and near-misses: same length, first and last bytes as a name, or a prefix of one.
            foreach (var other in new[] { "i", "ret", "export_", "export_x", $"export_{count}", "xx", "a", "b", "" })
            {
                Assert.False(set.TryGetValue(Encoding.ASCII.GetBytes(other), out _), other);
            }
        }
    }

    [Fact]
    public void ANameTable_GivesOneStringPerName()
    {
        var table = new Utf8NameTable();
        var first = table.Get("mutex_lock"u8);
        Assert.Equal("mutex_lock", first);
        Assert.Same(first, table.Get(Encoding.ASCII.GetBytes("mutex_lock")));
        Assert.NotSame(first, table.Get("mutex_unlock"u8));
        Assert.Equal("", table.Get([]));
    }
}
