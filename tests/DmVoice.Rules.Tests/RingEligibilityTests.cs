using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>
/// "May this caller ring me, and how?" as a recipient's user grain answers it from their ring settings and the
/// rings each caller made lately: blocked callers never ring, do-not-disturb and a muted DM make rings silent,
/// and one caller cannot ring one recipient more often than the limits allow.
/// </summary>
public sealed class RingEligibilityTests
{
    private const int PerMinute = 5;
    private const int PerHour = 30;
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly RingEligibility _eligibility = new(PerMinute, PerHour);

    private static RingSettings Blocking(params string[] callers) => RingSettings.None with { Blocked = callers };

    private static RingSettings Muting(string dmGroupId, DateTimeOffset? until) =>
        RingSettings.None with { MutedDms = [new DmSettings(dmGroupId, true, until)] };

    [Fact]
    public void A_user_with_default_settings_is_rung_with_sound()
    {
        Assert.Equal(RingVerdict.Ring, _eligibility.Decide(RingSettings.None, "caller", "dm-x", Now));
    }

    [Fact]
    public void A_blocked_caller_is_never_rung_even_on_do_not_disturb_while_others_ring_silently()
    {
        var settings = Blocking("mallory") with { DoNotDisturb = true };

        Assert.Equal(RingVerdict.Blocked, _eligibility.Decide(settings, "mallory", "dm-x", Now));
        Assert.Equal(RingVerdict.Silent, _eligibility.Decide(settings, "friend", "dm-x", Now));
    }

    [Fact]
    public void A_muted_DM_rings_silently_until_its_mute_ends_and_only_that_DM()
    {
        var settings = Muting("dm-muted", Now + TimeSpan.FromHours(1));

        Assert.Equal(RingVerdict.Silent, _eligibility.Decide(settings, "caller", "dm-muted", Now));
        Assert.Equal(RingVerdict.Ring, _eligibility.Decide(settings, "caller", "dm-other", Now));
        Assert.Equal(RingVerdict.Ring, _eligibility.Decide(settings, "caller", "dm-muted", Now + TimeSpan.FromHours(1)));
        Assert.Equal(RingVerdict.Silent, _eligibility.Decide(Muting("dm-muted", null), "caller", "dm-muted", Now + TimeSpan.FromDays(400)));
    }

    [Fact]
    public void One_caller_rings_one_recipient_at_most_5_times_a_minute_and_30_an_hour_while_others_still_ring_them()
    {
        var at = Now;
        void Ring(string caller)
        {
            Assert.Equal(RingVerdict.Ring, _eligibility.Decide(RingSettings.None, caller, "dm-x", at));
            _eligibility.Count(caller, at);
        }

        for (var i = 0; i < PerMinute; i++)
        {
            Ring("pest");
        }

        Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(RingSettings.None, "pest", "dm-x", at));
        Ring("friend");

        // A minute later the pest may ring again, up to 30 in the hour.
        var rung = PerMinute;
        while (rung < PerHour)
        {
            at += TimeSpan.FromMinutes(1);
            for (var i = 0; i < PerMinute && rung < PerHour; i++, rung++)
            {
                Ring("pest");
            }

            Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(RingSettings.None, "pest", "dm-x", at));
        }

        at += TimeSpan.FromMinutes(1);
        Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(RingSettings.None, "pest", "dm-x", at));

        // An hour after the first rings, the oldest no longer count.
        at = Now + TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1);
        Ring("pest");
    }

    [Fact]
    public void A_blocked_caller_at_the_limit_is_answered_exactly_as_an_unblocked_one()
    {
        var settings = Blocking("blocked-pest");
        Assert.Equal(RingVerdict.Blocked, _eligibility.Decide(settings, "blocked-pest", "dm-x", Now));

        // Both ring as often as the limit allows (the blocked one hidden); every stored ring counts.
        for (var i = 0; i < PerMinute; i++)
        {
            _eligibility.Count("blocked-pest", Now);
            _eligibility.Count("pest", Now);
        }

        Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(settings, "pest", "dm-x", Now));
        Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(settings, "blocked-pest", "dm-x", Now));
    }

    [Fact]
    public void Asking_counts_nothing_and_a_minute_later_the_caller_rings_again()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(RingVerdict.Ring, _eligibility.Decide(RingSettings.None, "pest", "dm-x", Now));
        }

        for (var i = 0; i < PerMinute; i++)
        {
            _eligibility.Count("pest", Now);
        }

        Assert.Equal(RingVerdict.RateLimited, _eligibility.Decide(RingSettings.None, "pest", "dm-x", Now + TimeSpan.FromSeconds(59)));
        Assert.Equal(RingVerdict.Ring, _eligibility.Decide(RingSettings.None, "pest", "dm-x", Now + TimeSpan.FromMinutes(1)));
    }
}

/// <summary>The user grain's copy of the ring settings: fetched once, dropped before a change, never kept when older than one.</summary>
public sealed class RingAnswersTests
{
    private static readonly RingQuestion FromMallory = new("mallory", "dm-x");

    private readonly Queue<TaskCompletionSource<RingSettings>> _fetches = new();
    private readonly RingAnswers _answers;

    public RingAnswersTests() =>
        _answers = new RingAnswers(Fetch, CallClock.System, new CallOptions());

    private int Fetched { get; set; }

    private Task<RingSettings> Fetch()
    {
        Fetched++;
        return _fetches.TryDequeue(out var pending) ? pending.Task : Task.FromResult(RingSettings.None);
    }

    private TaskCompletionSource<RingSettings> NextFetchWaits()
    {
        var pending = new TaskCompletionSource<RingSettings>();
        _fetches.Enqueue(pending);
        return pending;
    }

    [Fact]
    public async Task The_settings_are_fetched_once_and_answer_every_question_after()
    {
        Assert.Equal(RingVerdict.Ring, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(RingVerdict.Ring, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(1, Fetched);
    }

    [Fact]
    public async Task A_change_drops_the_copy_and_the_next_question_fetches_the_new_settings()
    {
        await _answers.AnswerAsync(FromMallory);

        _answers.Forget();
        NextFetchWaits().SetResult(RingSettings.None with { Blocked = ["mallory"] });

        Assert.Equal(RingVerdict.Blocked, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(RingVerdict.Blocked, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(2, Fetched);
    }

    [Fact]
    public async Task Settings_fetched_while_a_change_was_under_way_answer_their_question_but_are_not_kept()
    {
        // The fetch leaves before the block and its answer comes back after the settings grain dropped the copy.
        var inFlight = NextFetchWaits();
        var asked = _answers.AnswerAsync(FromMallory);
        _answers.Forget();
        inFlight.SetResult(RingSettings.None);
        Assert.Equal(RingVerdict.Ring, await asked);

        // The next question asks again and sees the block.
        NextFetchWaits().SetResult(RingSettings.None with { Blocked = ["mallory"] });
        Assert.Equal(RingVerdict.Blocked, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(2, Fetched);
    }

    [Fact]
    public async Task Rings_counted_here_limit_the_caller_whatever_the_copy()
    {
        for (var i = 0; i < new CallOptions().RingsPerCallerPerMinute; i++)
        {
            _answers.Count("mallory");
        }

        Assert.Equal(RingVerdict.RateLimited, await _answers.AnswerAsync(FromMallory));
        _answers.Forget();
        Assert.Equal(RingVerdict.RateLimited, await _answers.AnswerAsync(FromMallory));
        Assert.Equal(RingVerdict.Ring, await _answers.AnswerAsync(FromMallory with { CallerId = "friend" }));
    }
}
