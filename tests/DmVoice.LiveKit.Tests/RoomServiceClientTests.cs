using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.LiveKit.Tests;

public sealed class RoomServiceClientTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private FakeLiveKitServer _fake = null!;
    private RoomServiceClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeLiveKitServer.StartAsync(TestKeys.ApiKey, TestKeys.ApiSecret, ct: Ct);
        _client = Client(_fake.Url.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _fake.DisposeAsync();
    }

    private RoomServiceClient Client(string url, string secret = TestKeys.ApiSecret, TimeSpan? timeout = null) =>
        new(_http, new LiveKitOptions { Url = url, ApiKey = TestKeys.ApiKey, ApiSecret = secret, RequestTimeout = timeout ?? TimeSpan.FromSeconds(5) });

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public async Task ListParticipants_posts_twirp_json_with_a_room_admin_token_and_parses_snake_case()
    {
        _fake.AddParticipant("dm_a", "u1", "Ann");
        _fake.AddParticipant("dm_a", "u2");

        var participants = await _client.ListParticipantsAsync("dm_a", Ct);

        Assert.Equal(["u1", "u2"], participants.Select(p => p.Identity).Order(StringComparer.Ordinal));
        var ann = participants.Single(p => p.Identity == "u1");
        Assert.Equal("Ann", ann.Name);
        Assert.Equal(ParticipantInfoState.Active, ann.State);
        Assert.StartsWith("PA_", ann.Sid, StringComparison.Ordinal);
        Assert.NotNull(ann.JoinedAt);

        var call = Assert.Single(_fake.Calls);
        Assert.Equal("ListParticipants", call.Method);
        Assert.Equal(200, call.StatusCode);
        Assert.True(JsonElement.DeepEquals(Json("""{"room":"dm_a"}"""), Json(call.Body)));
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
        Assert.Equal("dm_a", call.GrantedRoom);

        var grants = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret).Verify(call.Authorization!["Bearer ".Length..]);
        Assert.Equal(new VideoGrants { RoomAdmin = true, Room = "dm_a" }, grants.Video);
        Assert.True(grants.Expires - grants.NotBefore <= TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task ListParticipants_of_an_unknown_room_is_empty()
    {
        Assert.Empty(await _client.ListParticipantsAsync("dm_none", Ct));
    }

    [Fact]
    public async Task RemoveParticipant_sends_room_and_identity_and_is_idempotent()
    {
        _fake.AddParticipant("dm_b", "u1");
        _fake.AddParticipant("dm_b", "u2");

        await _client.RemoveParticipantAsync("dm_b", "u1", Ct);
        Assert.Equal(["u2"], _fake.Rooms["dm_b"]);
        var call = await _fake.WaitForCallAsync("RemoveParticipant", c => c.Identity == "u1", ct: Ct);
        Assert.True(JsonElement.DeepEquals(Json("""{"room":"dm_b","identity":"u1"}"""), Json(call.Body)));

        // LiveKit answers not_found for someone who is not there; from our side that is success.
        await _client.RemoveParticipantAsync("dm_b", "u1", Ct);
        await _client.RemoveParticipantAsync("dm_missing", "u1", Ct);
        Assert.Equal([200, 404, 404], _fake.Calls.Select(c => c.StatusCode));
    }

    [Fact]
    public async Task DeleteRoom_uses_a_room_create_grant_and_is_idempotent()
    {
        _fake.AddParticipant("dm_c", "u1");

        await _client.DeleteRoomAsync("dm_c", Ct);
        Assert.False(_fake.Rooms.ContainsKey("dm_c"));
        await _client.DeleteRoomAsync("dm_c", Ct);

        var calls = _fake.Calls;
        Assert.Equal([200, 404], calls.Select(c => c.StatusCode));
        Assert.True(JsonElement.DeepEquals(Json("""{"room":"dm_c"}"""), Json(calls[0].Body)));
        var grants = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret).Verify(calls[0].Authorization!["Bearer ".Length..]);
        Assert.Equal(new VideoGrants { RoomCreate = true }, grants.Video);
    }

    [Fact]
    public async Task ListRooms_filters_by_name_and_parses_rooms()
    {
        _fake.AddParticipant("dm_x", "u1");
        _fake.AddRoom("dm_y");

        var all = await _client.ListRoomsAsync(Ct);
        var one = await _client.ListRoomsAsync(["dm_x"], Ct);

        Assert.Equal(["dm_x", "dm_y"], all.Select(r => r.Name).Order(StringComparer.Ordinal));
        var room = Assert.Single(one);
        Assert.Equal(1, room.NumParticipants);
        Assert.NotNull(room.CreationTime);
        Assert.True(JsonElement.DeepEquals(Json("{}"), Json(_fake.Calls[0].Body)));
    }

    [Fact]
    public async Task Concurrent_calls_each_carry_their_own_room_grant()
    {
        var rooms = Enumerable.Range(0, 16).Select(i => $"dm_{i}").ToArray();
        foreach (var room in rooms)
        {
            _fake.AddParticipant(room, "owner-" + room);
        }

        var results = await Task.WhenAll(rooms.Select(room => _client.ListParticipantsAsync(room, Ct)));

        Assert.All(results.Zip(rooms), r => Assert.Equal("owner-" + r.Second, Assert.Single(r.First).Identity));
        Assert.Equal(rooms.Length, _fake.Calls.Count);
        Assert.All(_fake.Calls, c =>
        {
            Assert.Equal(200, c.StatusCode);
            Assert.Equal(c.Room, c.GrantedRoom);
        });
        Assert.Null(_http.DefaultRequestHeaders.Authorization);
    }

    [Fact]
    public async Task Wrong_secret_is_a_TwirpException_with_code_and_msg()
    {
        var client = Client(_fake.Url.ToString(), TestKeys.OtherSecret);

        var ex = await Assert.ThrowsAsync<TwirpException>(() => client.RemoveParticipantAsync("dm_a", "u1", Ct));

        Assert.Equal(TwirpErrorCodes.Unauthenticated, ex.Code);
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("invalid signature", ex.Msg);
    }

    [Fact]
    public async Task Other_twirp_errors_are_not_swallowed()
    {
        _fake.FailNextRequests(1, HttpStatusCode.InternalServerError, "internal");
        var ex = await Assert.ThrowsAsync<TwirpException>(() => _client.DeleteRoomAsync("dm_a", Ct));
        Assert.Equal(TwirpErrorCodes.Internal, ex.Code);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal("simulated LiveKit failure", ex.Msg);
    }

    [Fact]
    public async Task Outage_is_LiveKitUnavailable_and_a_retry_succeeds()
    {
        _fake.AddParticipant("dm_r", "u1");
        _fake.FailNextRequests(2);

        var first = await Assert.ThrowsAsync<LiveKitUnavailableException>(() => _client.RemoveParticipantAsync("dm_r", "u1", Ct));
        await Assert.ThrowsAsync<LiveKitUnavailableException>(() => _client.RemoveParticipantAsync("dm_r", "u1", Ct));
        await _client.RemoveParticipantAsync("dm_r", "u1", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal([503, 503, 200], _fake.Calls.Select(c => c.StatusCode));
        Assert.Empty(_fake.Rooms["dm_r"]);
    }

    [Fact]
    public async Task Unreachable_server_is_LiveKitUnavailable()
    {
        var port = DmVoice.TestSupport.TestEnvironment.FreeTcpPort();
        var ex = await Assert.ThrowsAsync<LiveKitUnavailableException>(
            () => Client($"http://127.0.0.1:{port}").ListParticipantsAsync("dm_a", Ct));
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task Silent_server_times_out_as_LiveKitUnavailable_but_caller_cancellation_stays_cancellation()
    {
        // Accepts TCP connections (OS backlog) but never answers.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        await Assert.ThrowsAsync<LiveKitUnavailableException>(
            () => Client(url, timeout: TimeSpan.FromMilliseconds(300)).DeleteRoomAsync("dm_a", Ct));

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Client(url, timeout: TimeSpan.FromSeconds(30)).DeleteRoomAsync("dm_a", cts.Token));
    }

    [Fact]
    public async Task WaitForCallAsync_sees_future_calls()
    {
        _fake.AddParticipant("dm_w", "u1");
        var wait = _fake.WaitForCallAsync("RemoveParticipant", c => c.Room == "dm_w", TimeSpan.FromSeconds(5), Ct);
        Assert.False(wait.IsCompleted);

        await _client.RemoveParticipantAsync("dm_w", "u1", Ct);

        Assert.Equal("u1", (await wait).Identity);
        await Assert.ThrowsAsync<TimeoutException>(() => _fake.WaitForCallAsync("DeleteRoom", timeout: TimeSpan.FromMilliseconds(100), ct: Ct));
    }
}
