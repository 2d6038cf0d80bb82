using DmVoice.Grains.Events;
using static DmVoice.Rules.Tests.TestEvents;

namespace DmVoice.Rules.Tests;

/// <summary>Each recipient's latest event, repeated once: one send per event, to everyone whose latest it is.</summary>
public sealed class UnrepeatedEventsTests
{
    private static string[] Describe(IReadOnlyList<(VoiceEvent Event, string[] Audience)> repeats) =>
        repeats.Select(r => $"v{r.Event.Version} to {string.Join(",", r.Audience)}").ToArray();

    [Fact]
    public void Only_each_recipients_latest_event_is_repeated_grouped_by_event_and_oldest_first()
    {
        var unrepeated = new UnrepeatedEvents();
        unrepeated.Sent(Left(7), ["alice", "bob", "carol"]);
        unrepeated.Sent(Left(8), ["carol", "bob"]);
        unrepeated.Sent(Left(9), ["bob"]);

        // A dismissed ring reaches its recipient alone: the others' latest stays older.
        Assert.Equal(["v7 to alice", "v8 to carol", "v9 to bob"], Describe(unrepeated.Take()));
    }

    [Fact]
    public void A_repeat_is_owed_once_what_was_taken_is_not_repeated_again()
    {
        var unrepeated = new UnrepeatedEvents();
        Assert.False(unrepeated.Any);
        Assert.Empty(unrepeated.Take());

        unrepeated.Sent(Left(3), ["alice", "bob"]);
        Assert.True(unrepeated.Any);
        Assert.Equal(["v3 to alice,bob"], Describe(unrepeated.Take()));
        Assert.False(unrepeated.Any);
        Assert.Empty(unrepeated.Take());

        unrepeated.Sent(Left(4), ["bob"]);
        Assert.Equal(["v4 to bob"], Describe(unrepeated.Take()));
    }

    [Fact]
    public void A_room_keeps_one_entry_per_recipient_however_many_events_it_sends()
    {
        var unrepeated = new UnrepeatedEvents();
        for (var version = 1; version <= 1000; version++)
        {
            unrepeated.Sent(Left(version), ["alice", "bob"]);
        }

        Assert.Equal(2, unrepeated.Count);
        Assert.Equal(["v1000 to alice,bob"], Describe(unrepeated.Take()));
    }
}
