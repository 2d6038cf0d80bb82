using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Tests.Grains;

/// <summary>
/// "May X ring me, and how?" as a recipient's settings answer it: blocked callers never ring, do-not-disturb
/// and a muted DM make rings silent, and one caller cannot ring one recipient more than the limits allow.
/// </summary>
public abstract class RingEligibilityTests(GrainClusterFixture fx)
{
    private IUserSettingsGrain Settings(string userId) => fx.Client.GetGrain<IUserSettingsGrain>(userId);

    [Fact]
    public async Task A_user_with_default_settings_is_rung_with_sound()
    {
        var (caller, me) = (TestIds.User("caller"), TestIds.User("me"));
        Assert.Equal(RingVerdict.Ring, await Settings(me).CheckRing(caller, "dm-x", startsCall: true));
        Assert.Equal(UserStatuses.Online, await Settings(me).GetStatus());
    }

    [Fact]
    public async Task A_blocked_caller_is_never_rung_even_when_the_recipient_is_on_do_not_disturb_and_unblocking_restores_it()
    {
        var (mallory, other, me) = (TestIds.User("mallory"), TestIds.User("other"), TestIds.User("me"));
        var blocked = await Settings(me).Block(mallory);
        Assert.Equal(mallory, blocked.UserId);
        await Settings(me).SetStatus(UserStatuses.DoNotDisturb);

        Assert.Equal(RingVerdict.Blocked, await Settings(me).CheckRing(mallory, "dm-x", startsCall: true));
        Assert.Equal(RingVerdict.Silent, await Settings(me).CheckRing(other, "dm-x", startsCall: true));
        Assert.True(await Settings(me).IsBlocking(mallory));
        Assert.False(await Settings(mallory).IsBlocking(me));

        // Blocking again keeps the first time; unblocking makes the caller ring again.
        Assert.Equal(blocked.BlockedAt, (await Settings(me).Block(mallory)).BlockedAt);
        Assert.True(await Settings(me).Unblock(mallory));
        Assert.False(await Settings(me).Unblock(mallory));
        await Settings(me).SetStatus(UserStatuses.Online);
        Assert.Equal(RingVerdict.Ring, await Settings(me).CheckRing(mallory, "dm-x", startsCall: true));
    }

    [Fact]
    public async Task A_muted_DM_rings_silently_until_its_mute_ends_and_only_that_DM()
    {
        var (caller, me) = (TestIds.User("caller"), TestIds.User("me"));
        var until = fx.Time.GetUtcNow() + TimeSpan.FromMinutes(15);
        var muted = await Settings(me).SetDmSettings("dm-muted", true, until);
        Assert.Equal(new DmSettings("dm-muted", true, until), muted);

        Assert.Equal(RingVerdict.Silent, await Settings(me).CheckRing(caller, "dm-muted", startsCall: false));
        Assert.Equal(RingVerdict.Ring, await Settings(me).CheckRing(caller, "dm-other", startsCall: false));

        fx.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(RingVerdict.Ring, await Settings(me).CheckRing(caller, "dm-muted", startsCall: false));
        Assert.Equal([new DmSettings("dm-muted", false, null)], await Settings(me).GetDmSettings(["dm-muted"]));
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
    public async Task One_caller_rings_one_recipient_at_most_5_times_a_minute_and_30_an_hour_while_others_still_ring_them()
    {
        var (pest, friend, me) = (TestIds.User("pest"), TestIds.User("friend"), TestIds.User("me"));
        var me2 = Settings(me);

        // A call start asks, rings, and the ring counts once the call has stored it.
        async Task RingAsync(string caller)
        {
            Assert.Equal(RingVerdict.Ring, await me2.CheckRing(caller, "dm-x", startsCall: true));
            await me2.CountRing(caller);
        }

        Task<RingVerdict> LimitedAsync(string caller, string what) =>
            Eventually.GetAsync(() => me2.CheckRing(caller, "dm-x", startsCall: true), v => v == RingVerdict.RateLimited, what);

        for (var i = 0; i < 5; i++)
        {
            await RingAsync(pest);
        }

        await LimitedAsync(pest, "the sixth ring within a minute refused");
        await RingAsync(friend);

        // A minute later the pest may ring again, up to 30 in the hour.
        var rung = 5;
        for (var minute = 1; rung < 30; minute++)
        {
            fx.Advance(TimeSpan.FromMinutes(1));
            for (var i = 0; i < 5 && rung < 30; i++, rung++)
            {
                await RingAsync(pest);
            }

            // Counts are one-way: let this minute's arrive before the clock moves on.
            await LimitedAsync(pest, $"the minute's rings counted (minute {minute})");
        }

        fx.Advance(TimeSpan.FromMinutes(1));
        await LimitedAsync(pest, "the 31st ring within an hour refused");

        // A re-ring inside a call is held to the same limit; asking never counts.
        Assert.Equal(RingVerdict.RateLimited, await me2.CheckRing(pest, "dm-x", startsCall: false));
        Assert.Equal(RingVerdict.RateLimited, await me2.CheckRing(pest, "dm-x", startsCall: true));
        fx.Advance(TimeSpan.FromHours(1));
        await RingAsync(pest);
    }

    [Fact]
    public async Task A_blocked_caller_at_the_per_caller_limit_is_answered_exactly_as_an_unblocked_one()
    {
        var (blockedPest, pest, me) = (TestIds.User("blocked-pest"), TestIds.User("pest"), TestIds.User("me"));
        var mine = Settings(me);
        await mine.Block(blockedPest);
        Assert.Equal(RingVerdict.Blocked, await mine.CheckRing(blockedPest, "dm-x", startsCall: true));

        // Both ring me (the blocked one hidden) as often as the limit allows; every stored ring counts.
        for (var i = 0; i < 5; i++)
        {
            await mine.CountRing(blockedPest);
            await mine.CountRing(pest);
        }

        await Eventually.GetAsync(() => mine.CheckRing(pest, "dm-x", startsCall: true), v => v == RingVerdict.RateLimited, "the unblocked pest to be at the limit");
        Assert.Equal(await mine.CheckRing(pest, "dm-x", startsCall: true), await mine.CheckRing(blockedPest, "dm-x", startsCall: true));
        Assert.Equal(await mine.CheckRing(pest, "dm-x", startsCall: false), await mine.CheckRing(blockedPest, "dm-x", startsCall: false));
    }

    [Fact]
    public async Task A_re_ring_by_a_caller_at_the_per_caller_limit_is_refused_like_a_call_start()
    {
        var (pest, me) = (TestIds.User("pest"), TestIds.User("me"));
        var mine = Settings(me);
        for (var i = 0; i < 5; i++)
        {
            await mine.CountRing(pest);
        }

        await Eventually.GetAsync(() => mine.CheckRing(pest, "dm-x", startsCall: true), v => v == RingVerdict.RateLimited, "the pest to be at the limit");
        Assert.Equal(RingVerdict.RateLimited, await mine.CheckRing(pest, "dm-x", startsCall: false));
        fx.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(RingVerdict.Ring, await mine.CheckRing(pest, "dm-x", startsCall: false));
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
