using DmVoice.Grains.Users;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// What can be rebuilt is not written on its own: a user's index of the live calls they can see and a
/// DM's place in a user's list change at once in memory and are stored with the grain's next write,
/// within <c>Calls:DeferredWriteDelay</c> (5 s here) for the index and the longer
/// <c>Calls:DirectoryOrderWriteDelay</c> (15 s here) for the order, or at deactivation. What storage
/// holds is what a silo crash leaves, so these tests read it; a lost registration comes back with the
/// call's member check (every second in this cluster).
/// </summary>
[Collection(FaultyStorageClusterCollection.Name)]
public sealed class DeferredWriteTests(FaultyStorageClusterFixture fx)
{
    private static readonly TimeSpan WellPastTheDelay = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_call_start_writes_no_members_user_state_or_list_at_once_and_stores_the_index_within_its_delay_and_the_order_within_its_longer_one()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);
        var before = new { VoiceA = Stored("voice", a), VoiceB = Stored("voice", b), ListA = Stored("directory", a), ListB = Stored("directory", b) };
        fx.Advance(TimeSpan.FromSeconds(1));
        var startedAt = fx.Time.GetUtcNow();

        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);

        // Both see the change at once: b's index has the call, and the DM is on top of both lists.
        Assert.Contains(live, await fx.User(b).GetLiveCalls());
        await TopOfListAsync(a, dm.Id, startedAt);
        await TopOfListAsync(b, dm.Id, startedAt);

        // A turn of b's grain after the registration, where a write of its own would have been.
        await fx.User(b).ProcessDeadlines();
        Assert.Equal(before.VoiceA + 1, Stored("voice", a));
        Assert.Equal(before.VoiceB, Stored("voice", b));
        Assert.Equal(before.ListA, Stored("directory", a));
        Assert.Equal(before.ListB, Stored("directory", b));
        Assert.Contains(live, (await StoredVoiceAsync(a)).LiveCalls);
        Assert.DoesNotContain(live, (await StoredVoiceAsync(b)).LiveCalls);

        // Nothing else writes those grains: each stores its change once, the index within its delay
        // and the lists' order only later, within theirs.
        await Eventually.GetAsync(() => StoredVoiceAsync(b), s => s.LiveCalls.Contains(live), "b's index to be stored", WellPastTheDelay);
        Assert.Equal(before.ListB, Stored("directory", b));
        Assert.NotEqual(startedAt, (await StoredListAsync(b)).DmActivity.GetValueOrDefault(dm.Id));
        foreach (var user in new[] { a, b })
        {
            await Eventually.GetAsync(
                () => StoredListAsync(user),
                s => s.DmActivity.GetValueOrDefault(dm.Id) == startedAt,
                $"{user}'s list to be stored in its new order",
                WellPastTheDelay);
        }

        Assert.Equal(before.VoiceA + 1, Stored("voice", a));
        Assert.Equal(before.VoiceB + 1, Stored("voice", b));
        Assert.Equal(before.ListA + 1, Stored("directory", a));
        Assert.Equal(before.ListB + 1, Stored("directory", b));
    }

    [Fact]
    public async Task A_member_who_answers_within_the_delay_stores_the_call_with_their_join()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);
        var voiceB = Stored("voice", b);

        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        var stored = await StoredVoiceAsync(b);
        Assert.Contains(new LiveCallRef(CallContext.Dm(dm.Id), call.CallId), stored.LiveCalls);
        Assert.Equal(CallContext.Dm(dm.Id), stored.Active);
        Assert.Equal(voiceB + 1, Stored("voice", b));
    }

    [Fact]
    public async Task After_the_user_grains_are_deactivated_the_index_and_the_order_they_had_not_stored_are_still_there()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);
        fx.Advance(TimeSpan.FromSeconds(1));
        var startedAt = fx.Time.GetUtcNow();
        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);
        await TopOfListAsync(b, dm.Id, startedAt);

        await fx.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Contains(live, (await StoredVoiceAsync(b)).LiveCalls);
        Assert.Equal(startedAt, (await StoredListAsync(b)).DmActivity[dm.Id]);
        Assert.Contains(live, await fx.User(b).GetLiveCalls());
        await TopOfListAsync(b, dm.Id, startedAt);
    }

    [Fact]
    public async Task A_call_end_writes_no_members_user_state_and_the_deregistration_is_stored_at_deactivation()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);
        await fx.User(a).LeaveDmCall(dm.Id);
        await fx.User(b).LeaveDmCall(dm.Id);
        var before = (Stored("voice", a), Stored("voice", b));

        // The empty call's grace runs out: it ends and deregisters from both.
        fx.Advance(TimeSpan.FromSeconds(10));
        foreach (var user in new[] { a, b })
        {
            await Eventually.GetAsync(() => fx.User(user).GetLiveCalls(), calls => !calls.Contains(live), $"{user}'s index to drop the ended call");
            await fx.User(user).ProcessDeadlines();
        }

        Assert.Equal(before, (Stored("voice", a), Stored("voice", b)));
        Assert.Contains(live, (await StoredVoiceAsync(b)).LiveCalls);

        // A stored entry of an ended call is harmless (reads find it stale); deactivation stores the index anyway.
        await fx.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Eventually.GetAsync(() => StoredVoiceAsync(b), s => !s.LiveCalls.Contains(live), "b's deactivation to store its index");
        Assert.DoesNotContain(live, await fx.User(b).GetLiveCalls());
    }

    [Fact]
    public async Task After_a_users_index_was_lost_the_calls_member_check_restores_it_and_a_device_that_connects_then_hears_the_call()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);

        // b's grain cannot store the registration: the activation is dropped with its index.
        fx.Faults.FailWrites("voice", b);
        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);
        await Eventually.TrueAsync(() => fx.Faults.AllSpent, "b's grain to try storing its index", WellPastTheDelay);
        Assert.DoesNotContain(live, (await StoredVoiceAsync(b)).LiveCalls);

        // The live call registers again at its next member check; a device that connects is routed by it.
        await Eventually.GetAsync(() => fx.User(b).GetLiveCalls(), calls => calls.Contains(live), "the member check to register the call with b again");
        await using var bDevice = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true));
        await bDevice.WaitForAsync<UserUpdatedEvent>(e => e.User.UserId == a && e.User.IsMuted);
    }

    [Fact]
    public async Task A_connection_whose_write_failed_is_not_stored_later_with_the_index()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateListedDmAsync(a, b);
        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);

        // b's index waits to be stored; then a connection of b's fails to be stored.
        fx.Faults.FailWrites("voice", b);
        using var gateway = await TestGateway.StartAsync(fx.Client);
        var error = await Assert.ThrowsAsync<OrleansException>(() => fx.User(b).ConnectionOpened("failed-connection", gateway.Route));
        Assert.IsType<TimeoutException>(error.InnerException);

        // The activation went away without storing anything; the index comes back through the member
        // check and is stored within the delay, without the connection.
        var stored = await Eventually.GetAsync(() => StoredVoiceAsync(b), s => s.LiveCalls.Contains(live), "b's index to be stored again", WellPastTheDelay);
        Assert.Empty(stored.Devices);
        Assert.False(await fx.User(b).HasLiveDevice());
    }

    private int Stored(string stateName, string userId) => fx.Faults.StoredWrites(stateName, userId);

    private async Task<DmGroup> CreateListedDmAsync(string a, string b)
    {
        var dm = await fx.CreateDmAsync(a, b);
        foreach (var user in new[] { a, b })
        {
            await Eventually.GetAsync(() => fx.Client.GetGrain<IUserDirectoryGrain>(user).ListedDmIdsAsync(), ids => ids.Contains(dm.Id), $"{user}'s list to have the DM");
        }

        return dm;
    }

    private Task TopOfListAsync(string userId, string dmId, DateTimeOffset at) =>
        Eventually.GetAsync(
            () => fx.Client.GetGrain<IUserDirectoryGrain>(userId).GetDmPage(1, null),
            page => page.Entries.Count == 1 && page.Entries[0] == new DmActivityEntry(dmId, at),
            $"the DM on top of {userId}'s list");

    private Task<UserVoiceState> StoredVoiceAsync(string userId) => fx.StoredAsync<UserVoiceState>("voice", fx.User(userId).GetGrainId());

    private Task<UserDirectoryState> StoredListAsync(string userId) =>
        fx.StoredAsync<UserDirectoryState>("directory", fx.Client.GetGrain<IUserDirectoryGrain>(userId).GetGrainId());
}
