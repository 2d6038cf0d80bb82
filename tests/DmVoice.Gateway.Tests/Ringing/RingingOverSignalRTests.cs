using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Ringing;

/// <summary>Every ring outcome reached through the public API and seen on real SignalR devices.</summary>
public sealed class RingingOverSignalRTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static Func<JsonElement, bool> RingOf(VoiceUser user, string outcome) =>
        e => e.Str("userId") == user.UserId && e.Str("outcome") == outcome;

    [Fact]
    public async Task Answering_on_one_device_stops_the_ring_on_every_other_device()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var bDesktop = await b.ConnectAsync();
        var aPhone = await a.ConnectAsync();

        await a.JoinAsync(dm.Id);
        var started = await bPhone.WaitForAsync(VoiceEventNames.CallStarted);
        var ringId = started.GetProperty("ringing")[0].Str("ringId");

        await b.JoinAsync(dm.Id); // answered on the desktop
        foreach (var device in new[] { bPhone, bDesktop, aPhone })
        {
            var stopped = await device.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Accepted));
            Assert.Equal(ringId, stopped.Str("ringId"));
        }

        Assert.Empty((await a.PresenceAsync(dm.Id)).Ringing);
    }

    [Fact]
    public async Task Declining_stops_every_device_tells_the_caller_and_ends_a_one_to_one_call()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var bDesktop = await b.ConnectAsync();
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await bPhone.WaitForAsync(VoiceEventNames.CallStarted);

        var decline = await b.Http.PostAsync($"/dm-groups/{dm.Id}/call/decline", null);
        Assert.Equal(HttpStatusCode.NoContent, decline.StatusCode);

        await bPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Declined));
        await bDesktop.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Declined));
        await aPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Declined));
        var ended = await aPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.Declined, ended.Str("reason"));
        var outcomes = ended.GetProperty("record").GetProperty("outcomes").EnumerateArray()
            .ToDictionary(o => o.Str("userId"), o => o.Str("outcome"));
        Assert.Equal(MemberOutcomes.Started, outcomes[a.UserId]);
        Assert.Equal(RingOutcomes.Declined, outcomes[b.UserId]);

        var again = await b.Http.PostAsync($"/dm-groups/{dm.Id}/call/decline", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Dismissing_silences_only_the_recipient_and_the_caller_sees_a_timeout()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var bPhone = await b.ConnectAsync();
        var bDesktop = await b.ConnectAsync();
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await bPhone.WaitForAsync(VoiceEventNames.CallStarted);

        Assert.Equal(HttpStatusCode.NoContent, (await b.Http.PostAsync($"/dm-groups/{dm.Id}/call/dismiss", null)).StatusCode);
        await bPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Dismissed));
        await bDesktop.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Dismissed));
        Assert.Contains(b.UserId, (await a.PresenceAsync(dm.Id)).Ringing.Select(r => r.UserId));
        Assert.DoesNotContain(b.UserId, (await b.PresenceAsync(dm.Id)).Ringing.Select(r => r.UserId));

        _server.Time.Advance(TimeSpan.FromSeconds(30));
        await aPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Missed));
        Assert.Equal(0, aPhone.Count(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Dismissed)));
        Assert.Equal(0, bPhone.Count(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Missed)));

        // A group call goes on without the ring.
        Assert.NotNull((await a.PresenceAsync(dm.Id)).CallId);
    }

    [Fact]
    public async Task An_unanswered_one_to_one_call_ends_as_no_answer_and_shows_up_as_missed()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();

        // Alice's app stays open: a join from no connected device would hold her seat only for the
        // disconnect grace, which runs out with the ring.
        await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await bPhone.WaitForAsync(VoiceEventNames.CallStarted);

        _server.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Single((await b.PresenceAsync(dm.Id)).Ringing);
        _server.Time.Advance(TimeSpan.FromSeconds(1));
        await bPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(b, RingOutcomes.Missed));
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Str("reason"));

        var missed = await b.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls");
        var record = missed.GetProperty("calls").EnumerateArray().Single();
        Assert.Equal(dm.Id, record.Str("dmGroupId"));
        Assert.Equal(a.UserId, record.Str("startedBy"));

        var history = await a.Http.GetFromJsonAsync<JsonElement>($"/dm-groups/{dm.Id}/calls");
        Assert.Equal(CallEndReasons.NoAnswer, history.GetProperty("calls")[0].Str("endReason"));
        Assert.Empty((await a.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls")).GetProperty("calls").EnumerateArray());
    }

    [Fact]
    public async Task A_participant_can_ring_again_stop_ringing_and_is_rate_limited()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var cPhone = await c.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await cPhone.WaitForAsync(VoiceEventNames.CallStarted);

        var stop = await a.Http.PostAsJsonAsync($"/dm-groups/{dm.Id}/call/stop-ringing", new { recipientIds = new[] { c.UserId } });
        Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        await cPhone.WaitForAsync(VoiceEventNames.RingStopped, RingOf(c, RingOutcomes.Cancelled));

        var ring = await a.Http.PostAsJsonAsync($"/dm-groups/{dm.Id}/call/ring", new { });
        Assert.Equal(HttpStatusCode.OK, ring.StatusCode);
        var rung = await ring.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([c.UserId], rung.GetProperty("ringing").EnumerateArray().Select(r => r.Str("userId")));
        var ringStarted = await cPhone.WaitForAsync(VoiceEventNames.RingStarted);
        Assert.Equal(c.UserId, ringStarted.GetProperty("ringing")[0].Str("userId"));

        // Four more rings fill the minute's budget of five; the sixth is refused.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await a.Http.PostAsync($"/dm-groups/{dm.Id}/call/ring", null)).StatusCode);
        }

        var limited = await a.Http.PostAsync($"/dm-groups/{dm.Id}/call/ring", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ErrorCodes.RateLimited, problem.Str("code"));

        var notInCall = await b.Http.PostAsync($"/dm-groups/{dm.Id}/call/ring", null);
        Assert.Equal(HttpStatusCode.Conflict, notInCall.StatusCode);
    }

    [Fact]
    public async Task A_one_to_one_call_to_someone_in_another_call_ends_as_busy_and_they_get_a_missed_call()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var ab = await a.CreateDmAsync(b);
        var bc = await b.CreateDmAsync(c);
        var aPhone = await a.ConnectAsync();
        await c.JoinAsync(bc.Id);
        await b.JoinAsync(bc.Id);

        var started = await a.JoinAsync(ab.Id);
        Assert.True(started.CallStarted);
        var callStarted = await aPhone.WaitForAsync(VoiceEventNames.CallStarted);
        Assert.Equal(0, callStarted.GetProperty("ringing").GetArrayLength());
        var ended = await aPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.Busy, ended.Str("reason"));
        Assert.Null((await a.PresenceAsync(ab.Id)).CallId);

        var missed = await Eventually.GetAsync(
            () => b.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls"),
            m => m.GetProperty("calls").GetArrayLength() == 1,
            "bob's missed call");
        var outcome = missed.GetProperty("calls")[0].GetProperty("outcomes").EnumerateArray().Single(o => o.Str("userId") == b.UserId);
        Assert.Equal(RingOutcomes.Busy, outcome.Str("outcome"));

        // Bob was never pulled out of his own call.
        Assert.Contains(b.UserId, (await c.PresenceAsync(bc.Id)).Participants.Select(p => p.UserId));
    }
}
