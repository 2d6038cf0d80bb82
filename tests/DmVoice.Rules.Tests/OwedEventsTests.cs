using DmVoice.Grains.Events;
using static DmVoice.Rules.Tests.TestEvents;

namespace DmVoice.Rules.Tests;

/// <summary>Events a room could not send: kept in order, sent again in order, bounded.</summary>
public sealed class OwedEventsTests
{
    private static readonly string[] Both = ["alice", "bob"];

    [Fact]
    public async Task Owed_events_are_sent_again_oldest_first_each_to_its_own_audience_and_then_forgotten()
    {
        var owed = new OwedEvents();
        owed.Owe(Left(9), Both);
        owed.Owe(Left(10), ["alice"]);
        var sent = new List<string>();

        await owed.SendAsync((e, audience) =>
        {
            sent.Add($"v{e.Version} to {string.Join(",", audience)}");
            return Task.CompletedTask;
        });

        Assert.Equal(["v9 to alice,bob", "v10 to alice"], sent);
        Assert.False(owed.Any);
    }

    [Fact]
    public async Task A_send_that_fails_midway_keeps_the_failed_event_and_the_later_ones_in_order_for_the_next_try()
    {
        var owed = new OwedEvents();
        owed.Owe(Left(9), Both);
        owed.Owe(Left(10), Both);
        owed.Owe(Left(11), Both);

        await Assert.ThrowsAsync<TimeoutException>(() => owed.SendAsync((e, _) =>
            e.Version == 10 ? Task.FromException(new TimeoutException()) : Task.CompletedTask));
        Assert.Equal(2, owed.Count);

        var sent = new List<long>();
        await owed.SendAsync((e, _) =>
        {
            sent.Add(e.Version);
            return Task.CompletedTask;
        });
        Assert.Equal([10L, 11L], sent);
    }

    [Fact]
    public async Task Past_its_capacity_the_oldest_owed_event_goes_so_the_newest_still_reaches_devices_which_see_the_gap()
    {
        var owed = new OwedEvents(capacity: 2);
        owed.Owe(Left(9), Both);
        owed.Owe(Left(10), Both);
        owed.Owe(Left(11), Both);

        var sent = new List<long>();
        await owed.SendAsync((e, _) =>
        {
            sent.Add(e.Version);
            return Task.CompletedTask;
        });

        Assert.Equal([10L, 11L], sent);
        Assert.Equal(1, owed.Dropped);
    }

    [Fact]
    public void Nothing_is_owed_until_an_event_is()
    {
        var owed = new OwedEvents();
        Assert.False(owed.Any);
        owed.Owe(Left(1), Both);
        Assert.True(owed.Any);
    }
}
