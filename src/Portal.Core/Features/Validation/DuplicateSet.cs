using System.Numerics;

namespace Portal.Core.Features.Validation;

/// <summary>
/// A set of 64-bit row hashes in one flat open-addressed table (8 bytes a slot, no per-entry objects), so finding
/// duplicate rows among millions stays within a fixed memory budget. Past <see cref="Capacity"/> distinct rows it
/// stops taking new ones and says so (<see cref="Full"/>) rather than growing without bound.
/// </summary>
public sealed class DuplicateSet
{
    private readonly int _maxSlots;
    private ulong[] _table;
    private bool _hasZero;

    /// <param name="maxBytes">Memory the table may grow to (rounded down to a power of two of slots).</param>
    public DuplicateSet(long maxBytes = 64L << 20)
    {
        _maxSlots = (int)Math.Min(1 << 30, BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1024, maxBytes / 8)));
        if ((long)_maxSlots * 8 > maxBytes && _maxSlots > 1024)
            _maxSlots /= 2;
        _table = new ulong[Math.Min(_maxSlots, 1 << 16)];
    }

    public long Count { get; private set; }

    /// <summary>Distinct rows it can hold (70 % of the largest table).</summary>
    public long Capacity => _maxSlots * 7L / 10;

    public bool Full { get; private set; }

    /// <summary>Adds the hash; false when it was already there (a duplicate). Once full, unknown hashes count as new.</summary>
    public bool Add(ulong hash)
    {
        if (hash == 0)
        {
            if (_hasZero)
                return false;
            _hasZero = true;
            Count++;
            return true;
        }

        if (!Full && Count >= _table.Length * 7L / 10)
            Grow();
        var mask = _table.Length - 1;
        var i = (int)(hash & (ulong)mask);
        while (true)
        {
            var slot = _table[i];
            if (slot == hash)
                return false;
            if (slot == 0)
            {
                if (Full && Count >= Capacity)
                    return true;
                _table[i] = hash;
                Count++;
                return true;
            }

            i = (i + 1) & mask;
        }
    }

    private void Grow()
    {
        if (_table.Length >= _maxSlots)
        {
            Full = true;
            return;
        }

        var larger = new ulong[_table.Length * 2];
        var mask = larger.Length - 1;
        foreach (var h in _table)
        {
            if (h == 0)
                continue;
            var i = (int)(h & (ulong)mask);
            while (larger[i] != 0)
                i = (i + 1) & mask;
            larger[i] = h;
        }

        _table = larger;
    }
}
