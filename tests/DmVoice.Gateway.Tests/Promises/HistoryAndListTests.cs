using System.Net.Http.Json;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Promises;

/// <summary>
/// docs/API.md on lists, over real HTTP: history pages chained through <c>nextBefore</c>, DMs newest
/// first, the missed-call limit, and what each member's outcome in a history record says.
/// </summary>
public sealed class HistoryAndListTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(settings =>
    {
        settings["Calls:MissedCallLimit"] = "3";
        settings["Gateway:RequestsPerMinute"] = "100000";
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The caller starts a call nobody answers and leaves; it ends after the empty-call grace. A minute passes.</summary>
    private async Task<string> AbandonedCallAsync(VoiceUser caller, VoiceUser.Device watcher, string dmGroupId)
    {
        var join = await caller.JoinAsync(dmGroupId);
        await caller.LeaveAsync(dmGroupId);
        _server.Time.Advance(TimeSpan.FromSeconds(10));
        await watcher.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == join.CallId);
        _server.Time.Advance(TimeSpan.FromMinutes(1));
        return join.CallId;
    }

    /// <summary>
    /// The caller rings a 1:1 DM until the ring times out (no_answer): a missed call for the other. A minute passes.
    /// The caller must have a device connected: a join from none holds the seat only for the disconnect grace,
    /// which here runs out at the very moment the ring does, and a caller gone first leaves the call empty instead.
    /// </summary>
    private async Task<string> UnansweredCallAsync(VoiceUser caller, VoiceUser.Device callee, string dmGroupId)
    {
        var join = await caller.JoinAsync(dmGroupId);
        await callee.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("callId") == join.CallId);
        _server.Time.Advance(TimeSpan.FromSeconds(30));
        await callee.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("callId") == join.CallId);
        _server.Time.Advance(TimeSpan.FromMinutes(1));
        return join.CallId;
    }

    private static string[] CallIds(JsonElement page) =>
        page.GetProperty("calls").EnumerateArray().Select(c => c.Str("callId")).ToArray();

    [Fact]
    public async Task History_pages_chained_through_nextBefore_list_every_call_once_newest_first_and_the_last_page_has_no_nextBefore()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var calls = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            calls.Add(await AbandonedCallAsync(a, bPhone, dm.Id));
        }

        // Follow nextBefore exactly as a client would: pass it back as 'before' until there is none.
        var seen = new List<string>();
        var pages = new List<int>();
        string? before = null;
        do
        {
            var query = before is null ? string.Empty : "&before=" + Uri.EscapeDataString(before);
            var page = await b.Http.GetFromJsonAsync<JsonElement>($"/dm-groups/{dm.Id}/calls?limit=2{query}");
            var ids = CallIds(page);
            seen.AddRange(ids);
            pages.Add(ids.Length);
            var next = page.GetProperty("nextBefore");
            before = next.ValueKind == JsonValueKind.Null ? null : next.GetString();
        }
        while (before is not null && pages.Count < 10);

        Assert.Equal(Enumerable.Reverse(calls), seen);
        Assert.Equal([2, 2, 1], pages);

        // A page that ends exactly at the oldest call still hands out nextBefore; following it finds nothing more.
        var whole = await b.Http.GetFromJsonAsync<JsonElement>($"/dm-groups/{dm.Id}/calls?limit=5");
        Assert.Equal(Enumerable.Reverse(calls), CallIds(whole));
        var after = await b.Http.GetFromJsonAsync<JsonElement>(
            $"/dm-groups/{dm.Id}/calls?limit=5&before={Uri.EscapeDataString(whole.GetProperty("nextBefore").GetString()!)}");
        Assert.Empty(CallIds(after));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("nextBefore").ValueKind);
    }

    [Fact]
    public async Task My_DMs_are_listed_newest_activity_first()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var withBob = await a.CreateDmAsync(b);
        _server.Time.Advance(TimeSpan.FromMinutes(1));
        var group = await c.CreateDmAsync(a, b);
        _server.Time.Advance(TimeSpan.FromMinutes(1));
        var withCarol = await a.CreateDmAsync(c);

        var mine = await a.ListDmsAsync();
        Assert.Equal([withCarol.Id, group.Id, withBob.Id], mine.DmGroups.Select(g => g.Id));
        var bobs = await b.ListDmsAsync();
        Assert.Equal([group.Id, withBob.Id], bobs.DmGroups.Select(g => g.Id));
    }

    [Fact]
    public async Task Only_the_newest_Calls_MissedCallLimit_missed_calls_are_kept()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        await a.ConnectAsync();
        var bPhone = await b.ConnectAsync();
        var calls = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            calls.Add(await UnansweredCallAsync(a, bPhone, dm.Id));
        }

        // The limit is 3 here: the two oldest are gone, the rest come newest first.
        var missed = await Eventually.GetAsync(
            () => b.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls"),
            page => CallIds(page).FirstOrDefault() == calls[^1],
            "bob's newest missed call");
        Assert.Equal([calls[4], calls[3], calls[2]], CallIds(missed));
        Assert.All(missed.GetProperty("calls").EnumerateArray(), call => Assert.Equal(CallEndReasons.NoAnswer, call.Str("endReason")));

        // 'since' keeps the ones that ended at or after it.
        var thirdEnded = missed.GetProperty("calls")[1].Str("endedAt");
        var since = await b.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls?since=" + Uri.EscapeDataString(thirdEnded));
        Assert.Equal([calls[4], calls[3]], CallIds(since));
    }

    [Fact]
    public async Task A_history_record_tells_who_started_answered_joined_unrung_and_who_was_never_rung()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        await using var d = await VoiceUser.CreateAsync(_server, "dave");
        var created = await a.Http.PostAsJsonAsync("/dm-groups", new { memberIds = new[] { b.UserId }, name = "Planning" });
        await VoiceUser.EnsureSuccessAsync(created);
        var dm = (await created.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
        var bPhone = await b.ConnectAsync();
        await a.JoinAsync(dm.Id);

        // Carol and Dave are added while the call is live: nobody rings them.
        await VoiceUser.EnsureSuccessAsync(await a.Http.PutAsync($"/dm-groups/{dm.Id}/members/{c.UserId}", null));
        await VoiceUser.EnsureSuccessAsync(await a.Http.PutAsync($"/dm-groups/{dm.Id}/members/{d.UserId}", null));
        await b.JoinAsync(dm.Id);
        await c.JoinAsync(dm.Id);
        foreach (var user in new[] { a, b, c })
        {
            await user.LeaveAsync(dm.Id);
        }

        _server.Time.Advance(TimeSpan.FromSeconds(10));
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        var record = ended.GetProperty("record");
        var outcomes = record.GetProperty("outcomes").EnumerateArray().ToDictionary(o => o.Str("userId"), o => o.Str("outcome"));
        Assert.Equal(MemberOutcomes.Started, outcomes[a.UserId]);
        Assert.Equal(RingOutcomes.Accepted, outcomes[b.UserId]);
        Assert.Equal(MemberOutcomes.Joined, outcomes[c.UserId]);
        Assert.Equal(MemberOutcomes.NotRung, outcomes[d.UserId]);
        Assert.Equal(
            new[] { a.UserId, b.UserId, c.UserId }.Order(),
            record.GetProperty("participants").EnumerateArray().Select(p => p.GetString()!).Order());

        // The same record is what history serves.
        var history = await d.Http.GetFromJsonAsync<JsonElement>($"/dm-groups/{dm.Id}/calls");
        Assert.Equal(ended.Str("callId"), history.GetProperty("calls")[0].Str("callId"));
    }
}
