namespace Portal.Core.Features.Reports;

/// <summary>When digests are due: the slot a subscription's period ends at, and the period it covers.</summary>
public static class DigestSchedule
{
    public static TimeSpan PeriodLength(DigestFrequency frequency) =>
        frequency == DigestFrequency.Weekly ? TimeSpan.FromDays(7) : TimeSpan.FromDays(1);

    /// <summary>The latest due time at or before <paramref name="now"/> (UTC).</summary>
    public static DateTimeOffset LatestSlot(DigestFrequency frequency, int hourUtc, DayOfWeek weekDay, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        var todayAt = new DateTimeOffset(utc.UtcDateTime.Date.AddHours(hourUtc), TimeSpan.Zero);
        if (frequency == DigestFrequency.Daily)
            return todayAt <= utc ? todayAt : todayAt.AddDays(-1);

        var daysBack = ((int)utc.DayOfWeek - (int)weekDay + 7) % 7;
        var slot = todayAt.AddDays(-daysBack);
        return slot <= utc ? slot : slot.AddDays(-7);
    }

    public static DateTimeOffset LatestSlot(DigestSubscription s, DateTimeOffset now) => LatestSlot(s.Frequency, s.HourUtc, s.WeekDay, now);

    /// <summary>The first due time after <paramref name="now"/>.</summary>
    public static DateTimeOffset NextSlot(DigestSubscription s, DateTimeOffset now) => LatestSlot(s, now) + PeriodLength(s.Frequency);

    /// <summary>
    /// Whether the schedule owes a digest for the slot at or before <paramref name="now"/>: the slot is after the
    /// subscription began and after the period the last digest covered.
    /// </summary>
    public static bool IsDue(DigestSubscription s, DateTimeOffset now)
    {
        var slot = LatestSlot(s, now);
        return slot > s.CreatedAt && (s.LastPeriodEnd is not { } last || slot > last);
    }

    /// <summary>Where a digest ending at <paramref name="end"/> starts: at the last digest's end, else one period back.</summary>
    public static DateTimeOffset PeriodStart(DigestSubscription s, DateTimeOffset end) =>
        s.LastPeriodEnd is { } last && last < end ? last : end - PeriodLength(s.Frequency);
}
