using Portal.Client.Models;

namespace Portal.Web.Components.Shared;

/// <summary>
/// Lets a numbered table pager sit on a keyset-paged API: remembers the continuation token that starts each page seen
/// so far, and walks forward from the nearest known page when asked for one further on.
/// </summary>
public sealed class KeysetPager
{
    private readonly Dictionary<int, string?> _tokens = new() { [0] = null };

    /// <summary>Forget every token (filters, sort or page size changed).</summary>
    public void Reset()
    {
        _tokens.Clear();
        _tokens[0] = null;
    }

    /// <summary>Page <paramref name="page"/> (0-based), or the last page there is when it lies beyond the end.</summary>
    public async Task<PagedResponse<T>> PageAsync<T>(int page, Func<string?, Task<PagedResponse<T>>> fetch)
    {
        var at = _tokens.Keys.Where(k => k <= page).Max();
        while (true)
        {
            var response = await fetch(_tokens[at]);
            if (response.ContinuationToken is { } next)
                _tokens[at + 1] = next;
            if (at >= page || response.ContinuationToken is null)
                return response;
            at++;
        }
    }
}
