using System.Net;
using System.Net.Http.Json;

namespace DmVoice.Gateway.Tests.Promises;

/// <summary>
/// docs/API.md's version rule and membership promises, seen from real devices: the version of a DM
/// never resets, a dismissed ring leaves others a gap a re-fetch explains, and anyone a member adds
/// can see the DM and follow its calls.
/// </summary>
public sealed class VersionAndMembershipTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(settings => settings["Gateway:RequestsPerMinute"] = "100000");

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static long[] Versions(VoiceUser.Device device, string dmGroupId) =>
        device.Events.Where(e => e.Payload.Str("dmGroupId") == dmGroupId).Select(e => e.Payload.GetProperty("version").GetInt64()).ToArray();

    [Fact]
    public async Task The_version_of_a_DM_keeps_growing_by_one_across_calls_and_never_resets()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();

        var first = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        await b.LeaveAsync(dm.Id);
        await a.LeaveAsync(dm.Id);
        _server.Time.Advance(TimeSpan.FromSeconds(10));
        var firstEnded = await bPhone.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == first.CallId);
        var afterFirst = await b.PresenceAsync(dm.Id);
        Assert.Null(afterFirst.CallId);
        Assert.Equal(firstEnded.GetProperty("version").GetInt64(), afterFirst.Version);

        var second = await a.JoinAsync(dm.Id);
        Assert.NotEqual(first.CallId, second.CallId);
        var secondStarted = await bPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == second.CallId);
        Assert.Equal(afterFirst.Version + 1, secondStarted.GetProperty("version").GetInt64());
        Assert.Equal(afterFirst.Version + 1, second.Version);

        // One unbroken sequence on bob's phone, across both calls.
        var versions = Versions(bPhone, dm.Id);
        Assert.Equal(Enumerable.Range((int)versions[0], versions.Length).Select(v => (long)v), versions);
        Assert.Equal(second.Version, versions[^1]);
    }

    [Fact]
    public async Task A_dismissed_ring_leaves_the_other_members_a_gap_of_one_which_a_re_fetch_of_the_presence_explains()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var bPhone = await b.ConnectAsync();
        var cPhone = await c.ConnectAsync();
        var started = await a.JoinAsync(dm.Id);
        await cPhone.WaitForAsync(VoiceEventNames.CallStarted);

        await VoiceUser.EnsureSuccessAsync(await b.Http.PostAsync($"/dm-groups/{dm.Id}/call/dismiss", null));
        var dismissed = await bPhone.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("outcome") == RingOutcomes.Dismissed);
        Assert.Equal(started.Version + 1, dismissed.GetProperty("version").GetInt64());

        await VoiceUser.EnsureSuccessAsync(await a.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
        // Each member's events travel on their own (in Streams mode, their own stream): wait for both.
        await cPhone.WaitForAsync(VoiceEventNames.UserUpdated);
        await bPhone.WaitForAsync(VoiceEventNames.UserUpdated);

        // Carol's phone jumped from the start to the mute: a gap of one, the dismissed ring she never saw.
        Assert.Equal([started.Version, started.Version + 2], Versions(cPhone, dm.Id));
        Assert.Equal([started.Version, started.Version + 1, started.Version + 2], Versions(bPhone, dm.Id));

        // The re-fetch puts her at the current version, and bob is still ringing as far as she can see.
        var presence = await c.PresenceAsync(dm.Id);
        Assert.Equal(started.Version + 2, presence.Version);
        Assert.Contains(b.UserId, presence.Ringing.Select(r => r.UserId));
        Assert.True(presence.Participants.Single(p => p.UserId == a.UserId).IsMuted);
    }

    [Fact]
    public async Task A_member_who_is_not_the_owner_adds_someone_who_then_sees_the_DM_and_follows_its_live_call()
    {
        await using var owner = await VoiceUser.CreateAsync(_server, "owner");
        await using var member = await VoiceUser.CreateAsync(_server, "member");
        await using var other = await VoiceUser.CreateAsync(_server, "other");
        await using var newcomer = await VoiceUser.CreateAsync(_server, "newcomer");
        var dm = await owner.CreateDmAsync(member, other);
        var newcomerPhone = await newcomer.ConnectAsync();
        var call = await owner.JoinAsync(dm.Id);

        var added = await member.Http.PutAsync($"/dm-groups/{dm.Id}/members/{newcomer.UserId}", null);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var group = (await added.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
        Assert.Equal(owner.UserId, group.OwnerId);
        Assert.Contains(newcomer.UserId, group.MemberIds);

        // Idempotent: adding again changes nothing.
        var again = await member.Http.PutAsync($"/dm-groups/{dm.Id}/members/{newcomer.UserId}", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(group.MemberIds, (await again.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!.MemberIds);

        // The newcomer sees the DM and its live call...
        Assert.Contains(dm.Id, (await newcomer.ListDmsAsync()).DmGroups.Select(g => g.Id));
        Assert.Equal(HttpStatusCode.OK, (await newcomer.Http.GetAsync($"/dm-groups/{dm.Id}")).StatusCode);
        var mine = await newcomer.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Equal(call.CallId, mine!.LiveCalls.Single(l => l.DmGroupId == dm.Id).CallId);

        // ...hears what happens in it on the device that was already open, and can join it.
        await member.JoinAsync(dm.Id);
        await newcomerPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == member.UserId);
        var joined = await newcomer.JoinAsync(dm.Id);
        Assert.Equal(call.CallId, joined.CallId);
        var presence = await owner.PresenceAsync(dm.Id);
        Assert.Equal([owner.UserId, member.UserId, newcomer.UserId], presence.Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task A_removed_member_leaves_the_call_as_removed_stops_ringing_and_ownership_passes_on_when_the_owner_leaves()
    {
        await using var owner = await VoiceUser.CreateAsync(_server, "owner");
        await using var member = await VoiceUser.CreateAsync(_server, "member");
        await using var rung = await VoiceUser.CreateAsync(_server, "rung");
        var dm = await owner.CreateDmAsync(member, rung);
        var rungPhone = await rung.ConnectAsync();
        var memberPhone = await member.ConnectAsync();
        await owner.JoinAsync(dm.Id);
        await member.JoinAsync(dm.Id);

        // The owner removes the member in the call and the one being rung.
        await VoiceUser.EnsureSuccessAsync(await owner.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{member.UserId}"));
        var left = await rungPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == member.UserId);
        Assert.Equal(LeaveReasons.Removed, left.Str("reason"));

        // From now on the removed member hears nothing of the DM, while the others do.
        await VoiceUser.EnsureSuccessAsync(await owner.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
        await rungPhone.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == owner.UserId);
        Assert.Equal(0, memberPhone.Count(VoiceEventNames.UserUpdated));
        await VoiceUser.EnsureSuccessAsync(await owner.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{rung.UserId}"));
        await rungPhone.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("userId") == rung.UserId && e.Str("outcome") == RingOutcomes.Removed);
        var mine = await member.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(mine!.ActiveCall);
        Assert.Equal(HttpStatusCode.NotFound, (await member.Http.GetAsync($"/dm-groups/{dm.Id}")).StatusCode);

        // With another member in the DM, the owner leaving passes ownership on.
        await using var third = await VoiceUser.CreateAsync(_server, "third");
        await VoiceUser.EnsureSuccessAsync(await owner.Http.PutAsync($"/dm-groups/{dm.Id}/members/{third.UserId}", null));
        var remaining = await owner.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{owner.UserId}");
        Assert.Equal(HttpStatusCode.OK, remaining.StatusCode);
        Assert.Equal(third.UserId, (await remaining.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!.OwnerId);
        Assert.Equal(third.UserId, (await third.Http.GetFromJsonAsync<DmGroup>($"/dm-groups/{dm.Id}", VoiceUser.Json))!.OwnerId);
    }
}
