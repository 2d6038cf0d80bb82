using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Ring deadlines across a restart of every silo, in Redis mode. The deadline is persisted with the
/// call and backed by a reminder; a fresh activation re-arms its timer from the persisted deadline,
/// so the ring ends as soon as the grain is woken (by any call, or by the reminder at the latest),
/// and only once however many of those wake-ups arrive.
/// </summary>
public sealed class RedisRingRestartTests
{
    private static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_one_to_one_ring_that_expires_while_the_silos_are_down_ends_no_answer_exactly_once()
    {
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2);
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dmId = DmGroupIds.ForPair(a, b);
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b], null, isGroup: false);
        var call = await cluster.Client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));
        var ring = Assert.Single((await cluster.Client.GetGrain<IDmCallGrain>(dmId).GetPresence(a)).Ringing);
        Assert.Equal(b, ring.UserId);
        Assert.Equal(cluster.Time.GetUtcNow() + RingTimeout, ring.ExpiresAt);
        Assert.Single(await DeadlineRemindersAsync(cluster, dmId));

        await RestartAsync(cluster);
        var client = cluster.Client;
        await using var aEvents = await EventRecorder.SubscribeAsync(client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(client, b);

        cluster.Time.Advance(RingTimeout + TimeSpan.FromSeconds(1));
        // Nothing has woken the call grain since the restart; reading presence does.
        var callGrain = client.GetGrain<IDmCallGrain>(dmId);
        await callGrain.GetPresence(b);

        var ended = await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Reason);
        Assert.Equal(RingOutcomes.Missed, ended.Record.OutcomeOf(b));

        // Late wake-ups — the reminder's tick after the timer already ran, another timer wake — change nothing.
        await client.GetGrain<IRemindable>(callGrain.GetGrainId())
            .ReceiveReminder("call-deadlines", new Orleans.Runtime.TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        await callGrain.ProcessDeadlines();
        cluster.Time.Advance(TimeSpan.FromMinutes(2));
        await callGrain.ProcessDeadlines();
        await EventBarrier.FlushAsync(client, dmId, aEvents, bEvents);

        foreach (var recorder in new[] { aEvents, bEvents })
        {
            var stop = Assert.Single(recorder.RingStops(dmId, b));
            Assert.Equal(ring.RingId, stop.RingId);
            Assert.Equal(RingOutcomes.Missed, stop.Outcome);
            Assert.Equal(CallEndReasons.NoAnswer, Assert.Single(recorder.OfType<CallEndedEvent>()).Reason);
            Assert.Empty(recorder.OfType<RingStartedEvent>());
            Assert.Empty(recorder.OfType<CallStartedEvent>());
        }

        var history = await callGrain.GetHistory(a, 10, null);
        Assert.Equal(call.CallId, Assert.Single(history).CallId);
        var missed = await Eventually.GetAsync(
            () => client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10), m => m.Count > 0, "b's missed call");
        Assert.Equal(call.CallId, Assert.Single(missed).CallId);
        Assert.Null((await callGrain.GetPresence(a)).CallId);
        await Eventually.GetAsync(() => client.GetGrain<IUserVoiceGrain>(a).GetSeat(), seat => seat is null, "a's active call to clear");

        // With no deadline left, the reminder is gone: nothing will wake the grain again.
        Assert.Empty(await DeadlineRemindersAsync(cluster, dmId));
    }

    [Fact]
    public async Task A_group_ring_that_expires_while_the_silos_are_down_is_missed_once_and_the_call_goes_on()
    {
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2);
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dmId = DmGroupIds.NewGroup();
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b, c], null, isGroup: true);
        var call = await cluster.Client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));
        await cluster.Client.GetGrain<IUserVoiceGrain>(c).JoinDmCall(dmId, new JoinRequest("Carol"));
        var ring = Assert.Single((await cluster.Client.GetGrain<IDmCallGrain>(dmId).GetPresence(a)).Ringing);
        Assert.Equal(b, ring.UserId);

        await RestartAsync(cluster);
        var client = cluster.Client;
        await using var aEvents = await EventRecorder.SubscribeAsync(client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(client, b);

        cluster.Time.Advance(RingTimeout);
        var callGrain = client.GetGrain<IDmCallGrain>(dmId);
        await callGrain.GetPresence(c);
        await bEvents.WaitForAsync<RingStoppedEvent>(e => e.RingId == ring.RingId);
        await callGrain.ProcessDeadlines();
        await EventBarrier.FlushAsync(client, dmId, aEvents, bEvents);

        foreach (var recorder in new[] { aEvents, bEvents })
        {
            Assert.Equal(RingOutcomes.Missed, Assert.Single(recorder.RingStops(dmId, b)).Outcome);
            Assert.Empty(recorder.OfType<CallEndedEvent>());
        }

        var presence = await callGrain.GetPresence(b);
        Assert.Equal(call.CallId, presence.CallId);
        Assert.Equal([a, c], presence.Participants.Select(p => p.UserId));
        Assert.Empty(presence.Ringing);

        // The missed ring is in the record when the call ends (and b then has a missed call).
        await client.GetGrain<IUserVoiceGrain>(a).LeaveDmCall(dmId);
        await client.GetGrain<IUserVoiceGrain>(c).LeaveDmCall(dmId);
        cluster.Time.Advance(TimeSpan.FromSeconds(10));
        var ended = await bEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(RingOutcomes.Missed, ended.Record.OutcomeOf(b));
        var missed = await Eventually.GetAsync(
            () => client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10), m => m.Count > 0, "b's missed call");
        Assert.Equal(call.CallId, Assert.Single(missed).CallId);
    }

    private static async Task RestartAsync(RedisModeCluster cluster)
    {
        await cluster.StopAllAsync();
        await cluster.StartSilosAsync(2);
        await cluster.StartClientAsync();
    }

    private static async Task<IList<ReminderEntry>> DeadlineRemindersAsync(RedisModeCluster cluster, string dmId)
    {
        var table = cluster.SiloServices().GetRequiredService<IReminderTable>();
        var grainId = cluster.Client.GetGrain<IDmCallGrain>(dmId).GetGrainId();
        return (await table.ReadRows(grainId)).Reminders;
    }
}
