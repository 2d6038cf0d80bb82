namespace DmVoice.Tests.Infrastructure;

/// <summary>Call records hold lists, so record equality is by reference; compare them by value.</summary>
public static class RecordAssert
{
    public static void Same(CallRecord expected, CallRecord actual)
    {
        Assert.Equal(expected with { Participants = [], Outcomes = [] }, actual with { Participants = [], Outcomes = [] });
        Assert.Equal(expected.Participants, actual.Participants);
        Assert.Equal(expected.Outcomes, actual.Outcomes);
    }

    public static string? OutcomeOf(this CallRecord record, string userId) =>
        record.Outcomes.SingleOrDefault(o => o.UserId == userId)?.Outcome;
}
