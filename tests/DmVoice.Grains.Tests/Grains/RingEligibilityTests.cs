using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Tests.Grains;

/// <summary>
/// "May X ring me, and how?" as a call start finds out: the recipient's user grain answers from its copy of
/// their settings (blocked callers never ring, do-not-disturb and a muted DM make rings silent) and the rings
/// each caller made lately. The rules themselves are tested in DmVoice.Rules.Tests; here, that a change of
/// settings reaches the next call start although the user grain keeps a copy, that counts arrive with the
/// calls, and that a settings grain only asked for that copy is not kept in memory.
/// </summary>
public abstract class RingEligibilityTests(GrainClusterFixture fx)
{
    private IUserSettingsGrain Settings(string userId) => fx.Client.GetGrain<IUserSettingsGrain>(userId);

    /// <summary>
    /// Starts a call by <paramref name="caller"/> in a new group DM with <paramref name="me"/> (or in
    /// <paramref name="dmGroupId"/>), reads how it rang me, and leaves it again.
    /// </summary>
    private async Task<RingVerdict> StartCallAsync(string caller, string me, string? dmGroupId = null)
    {
        var dm = dmGroupId ?? (await fx.CreateDmAsync(caller, me, TestIds.User("third"))).Id;
        var joined = await fx.JoinAsync(caller, dm);
        try
        {
            if (joined.NotRung?.SingleOrDefault(n => n.UserId == me) is { } notRung)
            {
                Assert.Equal(NotRungReasons.RateLimited, notRung.Reason);
                return RingVerdict.RateLimited;
            }

            // A ring hidden from me (I block the caller) is real for everyone else.
            var myRing = (await fx.Call(dm).GetPresence(me)).Ringing.SingleOrDefault(r => r.UserId == me);
            if (myRing is null)
            {
                Assert.Contains(me, (await fx.Call(dm).GetPresence(caller)).Ringing.Select(r => r.UserId));
                return RingVerdict.Blocked;
            }

            return myRing.Silent ? RingVerdict.Silent : RingVerdict.Ring;
        }
        finally
        {
            if ((await fx.Call(dm).GetPresence(caller)).Participants.Any(p => p.UserId == caller))
            {
                await fx.User(caller).LeaveDmCall(dm);
            }
            else
            {
                // A 1:1 call that rang nobody ended at once; its notice to the caller's user grain is one-way.
                await Eventually.GetAsync(() => fx.User(caller).GetSeat(), seat => seat?.Call != CallContext.Dm(dm), "the caller's seat in the ended call to go");
            }
        }
    }

    [Fact]
    public async Task Each_change_of_my_ring_settings_reaches_the_next_call_start_though_my_user_grain_keeps_a_copy()
    {
        var (mallory, friend, me) = (TestIds.User("mallory"), TestIds.User("friend"), TestIds.User("me"));
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(mallory, me));

        await Settings(me).SetStatus(UserStatuses.DoNotDisturb);
        Assert.Equal(RingVerdict.Silent, await StartCallAsync(mallory, me));

        // Blocking again keeps the first time; a block outranks do-not-disturb.
        var blocked = await Settings(me).Block(mallory);
        Assert.Equal(blocked.BlockedAt, (await Settings(me).Block(mallory)).BlockedAt);
        Assert.Equal(RingVerdict.Blocked, await StartCallAsync(mallory, me));
        Assert.Equal(RingVerdict.Silent, await StartCallAsync(friend, me));
        Assert.True(await Settings(me).IsBlocking(mallory));
        Assert.False(await Settings(mallory).IsBlocking(me));

        Assert.True(await Settings(me).Unblock(mallory));
        Assert.False(await Settings(me).Unblock(mallory));
        Assert.Equal(RingVerdict.Silent, await StartCallAsync(mallory, me));

        // Idle is not do-not-disturb: the copy is not dropped for it, and rings have sound again.
        await Settings(me).SetStatus(UserStatuses.Online);
        await Settings(me).SetStatus(UserStatuses.Idle);
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(mallory, me));
    }

    [Fact]
    public async Task A_muted_DM_rings_silently_until_its_mute_ends_and_only_that_DM()
    {
        var (caller, me) = (TestIds.User("caller"), TestIds.User("me"));
        var mutedDm = (await fx.CreateDmAsync(caller, me, TestIds.User("third"))).Id;
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(caller, me, mutedDm));
        await EndCallAsync(mutedDm, caller);

        var until = fx.Time.GetUtcNow() + TimeSpan.FromMinutes(15);
        var muted = await Settings(me).SetDmSettings(mutedDm, true, until);
        Assert.Equal(new DmSettings(mutedDm, true, until), muted);

        Assert.Equal(RingVerdict.Silent, await StartCallAsync(caller, me, mutedDm));
        await EndCallAsync(mutedDm, caller);
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(caller, me));

        fx.Advance(TimeSpan.FromMinutes(15));
        await EndCallAsync(mutedDm, caller);
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(caller, me, mutedDm));
        Assert.Equal([new DmSettings(mutedDm, false, null)], await Settings(me).GetDmSettings([mutedDm]));
    }

    /// <summary>Waits out the empty call's grace, so the next join in the DM starts a new call.</summary>
    private async Task EndCallAsync(string dmGroupId, string member)
    {
        fx.Advance(TimeSpan.FromSeconds(10));
        await Eventually.GetAsync(() => fx.Call(dmGroupId).GetPresence(member), p => p.CallId is null, "the empty call to end");
    }

    [Fact]
    public async Task A_call_start_that_rang_an_offline_user_keeps_no_settings_grain_of_theirs_in_memory()
    {
        var (caller, me) = (TestIds.User("caller"), TestIds.User("me"));
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(caller, me));
        await Eventually.GetAsync(() => fx.IsActiveAsync(Settings(me)), active => !active, "my settings grain, asked only for my ring settings, to be let go");

        // A settings grain the user reads stays; a change then still reaches their user grain's copy.
        await Settings(me).SetStatus(UserStatuses.DoNotDisturb);
        Assert.Equal(RingVerdict.Silent, await StartCallAsync(caller, me));
        Assert.True(await fx.IsActiveAsync(Settings(me)));
    }

    [Fact]
    public async Task Leaving_a_DM_forgets_its_mute()
    {
        var (a, b, me) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("me"));
        var dm = await fx.CreateDmAsync(a, b, me);
        await Settings(me).SetDmSettings(dm.Id, true, null);
        Assert.True((await Settings(me).GetDmSettings([dm.Id]))[0].Muted);

        await fx.Group(dm.Id).RemoveMember(me, me);

        await Eventually.GetAsync(() => Settings(me).GetDmSettings([dm.Id]), s => !s[0].Muted, "the mute of the DM I left to go");
    }

    [Fact]
    public async Task One_caller_starting_calls_rings_one_recipient_at_most_5_times_a_minute_while_others_still_ring_them()
    {
        var (pest, friend, me) = (TestIds.User("pest"), TestIds.User("friend"), TestIds.User("me"));
        var dm = (await fx.CreateDmAsync(pest, me)).Id;

        // Each start rings me, and the ring counts once the call has stored it (with its DM activity).
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(RingVerdict.Ring, await StartCallAsync(pest, me, dm));
            await EndCallAsync(dm, pest);
        }

        Assert.Equal(RingVerdict.RateLimited, await StartCallAsync(pest, me, dm));
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(friend, me));

        // The counts are in memory, and a minute later the pest may ring again.
        await EndCallAsync(dm, pest);
        fx.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(RingVerdict.Ring, await StartCallAsync(pest, me, dm));
    }

    [Fact]
    public async Task Bad_settings_are_refused_with_validation_failed_and_change_nothing()
    {
        var me = TestIds.User("me");
        var now = fx.Time.GetUtcNow();
        foreach (var attempt in new Func<Task>[]
        {
            () => Settings(me).SetStatus("offline"),
            () => Settings(me).SetStatus("busy"),
            () => Settings(me).Block(me),
            () => Settings(me).Block("not an id"),
            () => Settings(me).SetDmSettings("dm-x", true, now - TimeSpan.FromSeconds(1)),
            () => Settings(me).SetDmSettings("dm-x", true, now + TimeSpan.FromDays(400)),
            () => Settings(me).SetDmSettings("dm-x", false, now + TimeSpan.FromHours(1)),
        })
        {
            var error = await Assert.ThrowsAsync<DmVoiceException>(attempt);
            Assert.Equal(ErrorCodes.ValidationFailed, error.Code);
        }

        Assert.Equal(UserStatuses.Online, await Settings(me).GetStatus());
        Assert.Empty(await Settings(me).GetBlocks());
        Assert.False((await Settings(me).GetDmSettings(["dm-x"]))[0].Muted);
    }

    [Fact]
    public async Task A_user_can_block_a_thousand_users_and_no_more()
    {
        var me = TestIds.User("me");
        await Task.WhenAll(Enumerable.Range(0, UserSettingsLimits.MaxBlocks).Select(i => Settings(me).Block($"blocked-{i}")));

        var error = await Assert.ThrowsAsync<DmVoiceException>(() => Settings(me).Block("one-too-many"));
        Assert.Equal(ErrorCodes.LimitReached, error.Code);
        Assert.Equal(UserSettingsLimits.MaxBlocks, (await Settings(me).GetBlocks()).Count);

        // Blocking someone already blocked is not a new block.
        Assert.Equal("blocked-7", (await Settings(me).Block("blocked-7")).UserId);
    }

    [Fact]
    public void Without_a_push_url_the_silos_push_notifier_does_nothing()
    {
        var notifier = fx.SiloServices.GetRequiredService<DmVoice.Grains.Push.IPushNotifier>();
        Assert.False(notifier.IsEnabled);
        Assert.IsType<DmVoice.Grains.Push.NoPushNotifier>(notifier);
    }

    [Fact]
    public async Task The_display_name_remembered_is_the_latest_valid_one()
    {
        var me = TestIds.User("me");
        Assert.Null((await Settings(me).GetProfile()).DisplayName);
        await Settings(me).RememberDisplayName("  Alice  ");
        await Settings(me).RememberDisplayName("bell\u0007");
        await Settings(me).RememberDisplayName(new string('n', 101));

        var profile = await Eventually.GetAsync(() => Settings(me).GetProfile(), p => p.DisplayName is not null, "the name to be remembered");
        Assert.Equal(new UserProfile(me, "Alice", UserStatuses.Online), profile);
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class RingEligibilityTestsInMemory(GrainClusterFixture fx) : RingEligibilityTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class RingEligibilityTestsOnRedis(RedisGrainClusterFixture fx) : RingEligibilityTests(fx);

/// <summary>A user's DMs come newest activity first: creation, a membership change and a call start all count.</summary>
public abstract class DmActivityOrderTests(GrainClusterFixture fx)
{
    private IUserDirectoryGrain Directory(string userId) => fx.Client.GetGrain<IUserDirectoryGrain>(userId);

    [Fact]
    public async Task A_call_or_a_membership_change_moves_a_DM_to_the_top_of_every_members_list()
    {
        var (me, b, c, d) = (TestIds.User("me"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var first = await fx.CreateDmAsync(me, b);
        fx.Advance(TimeSpan.FromSeconds(1));
        var second = await fx.CreateDmAsync(me, b, c);
        fx.Advance(TimeSpan.FromSeconds(1));
        var third = await fx.CreateDmAsync(me, c);
        Assert.Equal([third.Id, second.Id, first.Id], await IdsAsync(me));

        fx.Advance(TimeSpan.FromSeconds(1));
        await fx.JoinAsync(b, first.Id);
        await Eventually.GetAsync(() => IdsAsync(me), ids => ids[0] == first.Id, "the DM with a new call on top");
        Assert.Equal([first.Id, third.Id, second.Id], await IdsAsync(me));

        fx.Advance(TimeSpan.FromSeconds(1));
        await fx.Group(second.Id).AddMember(c, d);
        await Eventually.GetAsync(() => IdsAsync(me), ids => ids[0] == second.Id, "the DM whose members changed on top");
        Assert.Equal([second.Id], await IdsAsync(d));
        Assert.Equal(second.Id, (await IdsAsync(c))[0]);
    }

    [Fact]
    public async Task Pages_follow_one_another_without_gaps_or_repeats_and_the_last_has_no_cursor()
    {
        var me = TestIds.User("me");
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await fx.CreateDmAsync(me, TestIds.User($"friend{i}"))).Id);
            if (i % 2 == 0)
            {
                fx.Advance(TimeSpan.FromMilliseconds(1)); // some share a time, so ties are broken by id
            }
        }

        var seen = new List<string>();
        DmCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await Directory(me).GetDmPage(3, cursor);
            Assert.InRange(page.Entries.Count, 1, 3);
            seen.AddRange(page.Entries.Select(e => e.DmGroupId));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(created.Order(), seen.Order());
        Assert.Equal(seen, (await Directory(me).GetDmPage(100, null)).Entries.Select(e => e.DmGroupId));
        var times = (await Directory(me).GetDmPage(100, null)).Entries.Select(e => e.LastActivityAt).ToArray();
        Assert.Equal(times.OrderDescending(), times);
    }

    private async Task<string[]> IdsAsync(string userId) =>
        (await Directory(userId).GetDmPage(100, null)).Entries.Select(e => e.DmGroupId).ToArray();
}

[Collection(GrainClusterCollection.Name)]
public sealed class DmActivityOrderTestsInMemory(GrainClusterFixture fx) : DmActivityOrderTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class DmActivityOrderTestsOnRedis(RedisGrainClusterFixture fx) : DmActivityOrderTests(fx);
