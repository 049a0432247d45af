using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Web.Infrastructure;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>The trim runs once large requests are over and quiet, never while one runs; small requests do not count.</summary>
public sealed class MemoryTrimTests
{
    [Fact]
    public async Task Trims_once_after_the_last_large_request_and_a_quiet_spell()
    {
        var trim = new MemoryTrim(Options.Create(new MemoryTrimOptions { Quiet = TimeSpan.FromMilliseconds(100), LargeBodyBytes = 1000 }), NullLogger<MemoryTrim>.Instance);

        Assert.Null(trim.Begin(10));
        var first = trim.Begin(5000)!;
        var unknownLength = trim.Begin(null)!;
        first.Dispose();
        await Task.Delay(400);
        Assert.Equal(0, trim.Trims);

        unknownLength.Dispose();
        unknownLength.Dispose();
        for (var waited = 0; trim.Trims == 0 && waited < 100; waited++)
            await Task.Delay(50);
        await Task.Delay(300);
        Assert.Equal(1, trim.Trims);
    }

    [Fact]
    public void Nothing_is_tracked_when_disabled()
    {
        var trim = new MemoryTrim(Options.Create(new MemoryTrimOptions { Enabled = false }), NullLogger<MemoryTrim>.Instance);

        Assert.Null(trim.Begin(null));
    }
}
