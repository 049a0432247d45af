using Portal.Core.Features.Reports;

namespace Portal.Web.Tests.Features.Reports;

public sealed class DigestScheduleTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-03-04T09:30:00Z", 9, "2026-03-04T09:00:00Z")]
    [InlineData("2026-03-04T08:59:59Z", 9, "2026-03-03T09:00:00Z")]
    [InlineData("2026-03-04T09:00:00Z", 9, "2026-03-04T09:00:00Z")]
    [InlineData("2026-03-04T00:10:00Z", 0, "2026-03-04T00:00:00Z")]
    public void Daily_slots_fall_on_the_chosen_hour(string now, int hour, string slot) =>
        Assert.Equal(At(slot), DigestSchedule.LatestSlot(DigestFrequency.Daily, hour, DayOfWeek.Monday, At(now)));

    [Theory]
    // 2026-03-04 is a Wednesday.
    [InlineData("2026-03-04T10:00:00Z", DayOfWeek.Wednesday, 9, "2026-03-04T09:00:00Z")]
    [InlineData("2026-03-04T08:00:00Z", DayOfWeek.Wednesday, 9, "2026-02-25T09:00:00Z")]
    [InlineData("2026-03-04T10:00:00Z", DayOfWeek.Monday, 7, "2026-03-02T07:00:00Z")]
    [InlineData("2026-03-04T10:00:00Z", DayOfWeek.Thursday, 7, "2026-02-26T07:00:00Z")]
    public void Weekly_slots_fall_on_the_chosen_weekday_and_hour(string now, DayOfWeek day, int hour, string slot) =>
        Assert.Equal(At(slot), DigestSchedule.LatestSlot(DigestFrequency.Weekly, hour, day, At(now)));

    [Fact]
    public void A_subscription_is_due_once_per_slot_after_it_began()
    {
        var s = new DigestSubscription { Frequency = DigestFrequency.Daily, HourUtc = 9, CreatedAt = At("2026-03-04T09:30:00Z") };
        Assert.False(DigestSchedule.IsDue(s, At("2026-03-04T23:00:00Z")));
        Assert.True(DigestSchedule.IsDue(s, At("2026-03-05T09:05:00Z")));
        Assert.Equal(At("2026-03-04T09:00:00Z"), DigestSchedule.PeriodStart(s, At("2026-03-05T09:00:00Z")));

        s.LastPeriodEnd = At("2026-03-05T09:00:00Z");
        Assert.False(DigestSchedule.IsDue(s, At("2026-03-05T10:05:00Z")));
        Assert.True(DigestSchedule.IsDue(s, At("2026-03-06T09:00:00Z")));
        // After a missed day the next digest still starts where the last one ended.
        Assert.Equal(At("2026-03-05T09:00:00Z"), DigestSchedule.PeriodStart(s, At("2026-03-07T09:00:00Z")));
    }
}
