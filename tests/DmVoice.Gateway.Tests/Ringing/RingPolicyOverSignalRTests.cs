using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Gateway.Tests.Api;
using DmVoice.TestSupport.Push;

namespace DmVoice.Gateway.Tests.Ringing;

/// <summary>
/// Who may ring whom, seen from the devices: a block is never revealed and never rings, do-not-disturb
/// and a muted DM ring silently, a caller who rings someone too often is told so, and phones that are
/// not connected are reached through the push service, audible rings only.
/// </summary>
public sealed class RingPolicyOverSignalRTests : IAsyncLifetime
{
    private const string PushSecret = "push-secret-of-at-least-32-bytes-0123456789";
    private static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(30);

    private PushReceiver _push = null!;
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _push = await PushReceiver.StartAsync();
        _server = await GatewayServer.StartAsync(settings =>
        {
            settings["Push:Url"] = _push.Url.ToString();
            settings["Push:Secret"] = PushSecret;
            settings["Calls:RingsPerCallerPerMinute"] = "2";
            settings["Calls:RingsPerCallerPerHour"] = "4";
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _push.DisposeAsync();
    }

    [Fact]
    public async Task A_call_to_someone_who_blocked_the_caller_never_rings_them_and_to_the_caller_looks_unanswered()
    {
        await using var mallory = await VoiceUser.CreateAsync(_server, "mallory");
        await using var me = await VoiceUser.CreateAsync(_server, "me");
        var dm = await mallory.CreateDmAsync(me);
        await VoiceUser.EnsureSuccessAsync(await me.Http.PutAsync($"/me/blocks/{mallory.UserId}", null));
        var malloryPhone = await mallory.ConnectAsync();
        var myPhone = await me.ConnectAsync();

        // The caller sees an ordinary ring; my devices hear of the call but not of a ring for me.
        var call = await mallory.JoinAsync(dm.Id);
        var theirs = await malloryPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == call.CallId);
        Assert.Equal([me.UserId], theirs.GetProperty("ringing").EnumerateArray().Select(r => r.Str("userId")));
        Assert.Equal(0, theirs.GetProperty("notRung").GetArrayLength());
        var mine = await myPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == call.CallId);
        Assert.Equal(0, mine.GetProperty("ringing").GetArrayLength());
        Assert.Empty((await me.PresenceAsync(dm.Id)).Ringing);
        Assert.Equal([me.UserId], (await mallory.PresenceAsync(dm.Id)).Ringing.Select(r => r.UserId));
        Assert.Equal(HttpStatusCode.Conflict, (await me.Http.PostAsync($"/dm-groups/{dm.Id}/call/decline", null)).StatusCode);

        // It goes unanswered, as far as the caller can tell.
        _server.Time.Advance(RingTimeout);
        var stopped = await malloryPhone.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("userId") == me.UserId);
        Assert.Equal(RingOutcomes.Missed, stopped.Str("outcome"));
        var ended = await malloryPhone.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == call.CallId);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Str("reason"));
        Assert.Equal(RingOutcomes.Missed, OutcomeOf(ended.GetProperty("record"), me.UserId));
        var myEnd = await myPhone.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == call.CallId);
        Assert.Equal(RingOutcomes.Blocked, OutcomeOf(myEnd.GetProperty("record"), me.UserId));
        Assert.Equal(0, myPhone.Count(VoiceEventNames.RingStopped, e => e.Str("userId") == me.UserId));

        // The caller's history says missed, mine says blocked, and I have no missed call for it.
        Assert.Equal(RingOutcomes.Missed, OutcomeOf(await LatestCallAsync(mallory, dm.Id), me.UserId));
        Assert.Equal(RingOutcomes.Blocked, OutcomeOf(await LatestCallAsync(me, dm.Id), me.UserId));
        var missed = await me.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls");
        Assert.Equal(0, missed.GetProperty("calls").GetArrayLength());
        Assert.Empty(_push.For(me.UserId));
    }

    [Fact]
    public async Task Do_not_disturb_and_a_muted_DM_ring_silently_and_only_audible_rings_are_pushed_and_stopped()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var dnd = await VoiceUser.CreateAsync(_server, "dnd");
        await using var muter = await VoiceUser.CreateAsync(_server, "muter");
        await using var away = await VoiceUser.CreateAsync(_server, "away");
        var dm = await a.CreateDmAsync(dnd, muter, away);
        await VoiceUser.EnsureSuccessAsync(await dnd.SendAsync("PUT", "/me/status", """{"status":"dnd"}"""));
        await VoiceUser.EnsureSuccessAsync(await muter.SendAsync("PUT", $"/dm-groups/{dm.Id}/settings", """{"muted":true}"""));
        var dndPhone = await dnd.ConnectAsync();

        var call = await a.JoinAsync(dm.Id);
        var started = await dndPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == call.CallId);
        var silent = started.GetProperty("ringing").EnumerateArray().ToDictionary(r => r.Str("userId"), r => r.GetProperty("silent").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { [dnd.UserId] = true, [muter.UserId] = true, [away.UserId] = false }, silent);
        Assert.Contains((await a.PresenceAsync(dm.Id)).Ringing, r => r.UserId == dnd.UserId && r.Silent);

        // The audible ring of a member with no device open is pushed, signed, saying so.
        var pushed = await _push.WaitForAsync(away.UserId, p => p.Count >= 1, "the ring to be pushed");
        var body = pushed[0].Json;
        Assert.Equal("ring.started", body.Str("type"));
        Assert.Equal(dm.Id, body.Str("dmGroupId"));
        Assert.Equal(a.UserId, body.Str("callerId"));
        Assert.False(body.GetProperty("hasLiveDevice").GetBoolean());
        var ringId = body.Str("ringId");
        Assert.Equal(ringId, Assert.Single((await a.PresenceAsync(dm.Id)).Ringing, r => r.UserId == away.UserId).RingId);
        Assert.True(PushVerification.IsFromDmVoice(PushSecret, pushed[0], DateTimeOffset.UtcNow));

        // Answering stops the phone too; silent rings were never pushed.
        await away.JoinAsync(dm.Id);
        var stop = (await _push.WaitForAsync(away.UserId, p => p.Count >= 2, "the ring's stop to be pushed"))[1].Json;
        Assert.Equal("ring.stopped", stop.Str("type"));
        Assert.Equal(ringId, stop.Str("ringId"));
        Assert.Equal(RingOutcomes.Accepted, stop.Str("reason"));
        Assert.Empty(_push.For(dnd.UserId));
        Assert.Empty(_push.For(muter.UserId));
    }

    [Fact]
    public async Task A_caller_who_rings_someone_too_often_is_told_and_they_are_not_rung_while_others_still_are()
    {
        await using var pest = await VoiceUser.CreateAsync(_server, "pest");
        await using var me = await VoiceUser.CreateAsync(_server, "me");
        await using var other = await VoiceUser.CreateAsync(_server, "other");
        var myPhone = await me.ConnectAsync();

        // Two calls a minute ring me; the third does not.
        for (var i = 0; i < 2; i++)
        {
            var dm = await pest.CreateDmAsync(me, other);
            var rang = await pest.JoinAsync(dm.Id);
            Assert.Empty(rang.NotRung ?? []);
            await pest.LeaveAsync(dm.Id);
        }

        // The limit is per caller and recipient: someone the pest has not rung yet still rings.
        await using var fresh = await VoiceUser.CreateAsync(_server, "fresh");
        var third = await pest.CreateDmAsync(me, fresh);
        var call = await pest.JoinAsync(third.Id);
        Assert.Equal([new NotRungEntry(me.UserId, NotRungReasons.RateLimited)], call.NotRung);
        var presence = await pest.PresenceAsync(third.Id);
        Assert.Equal([fresh.UserId], presence.Ringing.Select(r => r.UserId));
        var started = await myPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == call.CallId);
        Assert.Equal(NotRungReasons.RateLimited, started.GetProperty("notRung")[0].Str("reason"));

        // It is not a missed call: spam cannot push real missed calls out of my list.
        await pest.LeaveAsync(third.Id);
        _server.Time.Advance(TimeSpan.FromSeconds(10));
        var ended = await myPhone.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == call.CallId);
        Assert.Equal(RingOutcomes.RateLimited, OutcomeOf(ended.GetProperty("record"), me.UserId));
        var missed = await me.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls");
        Assert.DoesNotContain(missed.GetProperty("calls").EnumerateArray(), c => c.Str("callId") == call.CallId);
    }

    [Fact]
    public async Task A_one_to_one_call_to_someone_the_caller_rang_too_often_ends_at_once_saying_why()
    {
        await using var pest = await VoiceUser.CreateAsync(_server, "pest");
        await using var me = await VoiceUser.CreateAsync(_server, "me");
        var dm = await pest.CreateDmAsync(me);
        for (var i = 0; i < 2; i++)
        {
            await pest.JoinAsync(dm.Id);
            await pest.LeaveAsync(dm.Id);
            _server.Time.Advance(TimeSpan.FromSeconds(10));
        }

        var pestPhone = await pest.ConnectAsync();
        var call = await pest.JoinAsync(dm.Id);
        Assert.Equal([new NotRungEntry(me.UserId, NotRungReasons.RateLimited)], call.NotRung);
        var ended = await pestPhone.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == call.CallId);
        Assert.Equal(CallEndReasons.RateLimited, ended.Str("reason"));
        Assert.Null((await pest.PresenceAsync(dm.Id)).CallId);
    }

    private static string OutcomeOf(JsonElement record, string userId) =>
        record.GetProperty("outcomes").EnumerateArray().Single(o => o.Str("userId") == userId).Str("outcome");

    private static async Task<JsonElement> LatestCallAsync(VoiceUser user, string dmGroupId) =>
        (await user.Http.GetFromJsonAsync<JsonElement>($"/dm-groups/{dmGroupId}/calls?limit=1")).GetProperty("calls")[0];
}
