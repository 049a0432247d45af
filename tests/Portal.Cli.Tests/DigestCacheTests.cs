namespace Portal.Cli.Tests;

public sealed class DigestCacheTests
{
    [Fact]
    public void Lines_outside_the_scope_are_carried_over_unchanged_and_those_inside_are_used()
    {
        var folder = Directory.CreateTempSubdirectory("portal-digest-cache-").FullName;
        try
        {
            var file = Path.Combine(folder, "digests.tsv");
            var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var identity = new FileIdentity(5, old.Ticks, 42);
            var digestA = new string('a', 64);
            var digestB = new string('b', 64);
            var digestC = new string('c', 64);
            var other = $"/other/tree/x.txt\t5\t{old.Ticks}\t42\t{old.AddHours(1).Ticks}\t{digestB}";
            var sibling = $"/data/tree-2/y.txt\t5\t{old.Ticks}\t42\t{old.AddHours(1).Ticks}\t{digestB}";
            File.WriteAllText(file, string.Join('\n',
                $"/data/tree/a.txt\t5\t{old.Ticks}\t42\t{old.AddHours(1).Ticks}\t{digestA}",
                other,
                sibling,
                "/data/tree/broken\tnot-a-number\t1\t2\t3\t" + digestA,
                ""));

            var cache = DigestCache.Open(folder, ["/data/tree"]);
            Assert.Equal(digestA, cache.TryGet("/data/tree/a.txt", identity));
            Assert.Null(cache.TryGet("/data/tree/a.txt", identity with { Inode = 43 }));
            Assert.Null(cache.TryGet("/other/tree/x.txt", identity)); // not loaded: outside the scope
            Assert.Null(cache.TryGet("/data/tree-2/y.txt", identity)); // a sibling with the same prefix is outside too
            cache.Set("/data/tree/b.txt", identity, digestC, old.AddHours(1));
            cache.Save();

            var lines = File.ReadAllLines(file);
            Assert.Contains(other, lines);
            Assert.Contains(sibling, lines);
            Assert.Equal(4, lines.Length); // the broken line is dropped, the new entry added
            var everything = DigestCache.Open(folder, ["/"]);
            Assert.Equal(digestB, everything.TryGet("/other/tree/x.txt", identity));
            Assert.Equal(digestC, everything.TryGet("/data/tree/b.txt", identity));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
