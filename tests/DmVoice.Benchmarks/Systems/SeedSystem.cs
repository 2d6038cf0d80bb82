using System.Collections.Concurrent;
using System.Text.Json;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// The seed design (the original NestJS + Redis service) re-built on this stack: each operation does
/// its Redis round trips one after another, as the seed awaited them, on
/// <c>dm_voice_presence:{dmGroupId}</c> (SADD / SREM / SMEMBERS) and
/// <c>dm_voice_state:{dmGroupId}:{userId}</c> (JSON SET / GET / DEL), then sends one event to the
/// SignalR group <c>dm:{dmGroupId}</c>, which every member's connections joined on connect.
/// The seed had no per-DM version: events carry version 0.
/// With <c>backplane</c>, SignalR runs on its Redis backplane (same redis-server): every group send is
/// published to Redis and comes back through the server's subscription before it reaches a connection,
/// which is what the seed needs as soon as it runs more than one gateway.
/// </summary>
public sealed class SeedSystem : ISystemUnderTest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IReadOnlyList<WebApplication> _apps;
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisServer _redisProcess;

    private SeedSystem(string name, IReadOnlyList<WebApplication> apps, ConnectionMultiplexer redis, RedisServer redisProcess, bool backplane)
    {
        Name = name;
        _apps = apps;
        Backplane = backplane;
        _redis = redis;
        _redisProcess = redisProcess;
        Gateways = apps.Select(Loopback.Address).ToList();
    }

    public bool Backplane { get; }

    public string Name { get; }

    public int? RedisProcessId => _redisProcess.ProcessId;

    public string Description => (Backplane
        ? "Seed design behind a SignalR Redis backplane (Microsoft.AspNetCore.SignalR.StackExchangeRedis): same Redis round trips per operation, every group send through Redis pub/sub (private redis-server)"
        : "Seed design: Redis SADD/SREM/SMEMBERS presence + JSON state per operation, SignalR group send (private redis-server)")
        + (_apps.Count > 1
            ? $"; {_apps.Count} gateways (Kestrel apps in the benchmark process) on the same Redis, users spread over them like dmvoice-cluster; DM list and call ids shared in memory between them"
            : string.Empty);

    public Uri BaseAddress => Gateways[0];

    public IReadOnlyList<Uri> Gateways { get; }

    public IReadOnlyList<IServiceProvider> Hosts => [.. _apps.Select(a => a.Services)];

    private static string PresenceKey(string dmGroupId) => "dm_voice_presence:" + dmGroupId;

    private static string StateKey(string dmGroupId, string userId) => $"dm_voice_state:{dmGroupId}:{userId}";

    private static string Group(string dmGroupId) => "dm:" + dmGroupId;

    /// <param name="gateways">
    /// How many gateways (Kestrel apps) serve the seed; more than one needs the backplane, or a group
    /// send would miss the members connected elsewhere.
    /// </param>
    public static async Task<SeedSystem> StartAsync(string name, string redisServer, bool backplane, int gateways = 1)
    {
        if (gateways > 1 && !backplane)
        {
            throw new ArgumentException("Several seed gateways need the backplane.", nameof(gateways));
        }

        var redisProcess = await RedisServer.StartAsync(redisServer);
        var redis = await ConnectionMultiplexer.ConnectAsync(redisProcess.ConnectionString);
        // What the seed kept in a database (DMs) and in process memory (call ids) is shared between the
        // gateways here for free: a small advantage to the seed, which the comparison accepts.
        var directory = new DmDirectory();
        var callIds = new SeedCallIds();
        var apps = new List<WebApplication>();
        try
        {
            for (var i = 0; i < gateways; i++)
            {
                apps.Add(await StartGatewayAsync(redisProcess, redis, backplane, directory, callIds));
            }
        }
        catch
        {
            foreach (var started in apps)
            {
                await started.StopAsync();
                await started.DisposeAsync();
            }

            await redis.DisposeAsync();
            await redisProcess.DisposeAsync();
            throw;
        }

        return new SeedSystem(name, apps, redis, redisProcess, backplane);
    }

    private static async Task<WebApplication> StartGatewayAsync(RedisServer redisProcess, ConnectionMultiplexer redis, bool backplane, DmDirectory directory, SeedCallIds callIds)
    {
        var builder = BaselineServer.CreateBuilder();
        if (backplane)
        {
            builder.Services.AddSignalR().AddStackExchangeRedis(redisProcess.ConnectionString, o => o.Configuration.ChannelPrefix = RedisChannel.Literal("seed"));
        }

        builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
        builder.Services.AddSingleton(directory);
        builder.Services.AddSingleton(callIds);
        var app = builder.Build();
        BaselineServer.MapCommon(app);

        var voice = app.MapGroup("/dm-groups/{dmGroupId}/voice-presence");
        voice.MapPost("/join", async (
            string dmGroupId,
            [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] JoinVoiceRequest? request,
            HttpContext http,
            DmDirectory directory,
            IConnectionMultiplexer mux,
            SeedCallIds callIds,
            IHubContext<SeedHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is not { } group)
            {
                return Results.NotFound();
            }

            var db = mux.GetDatabase();
            var now = DateTimeOffset.UtcNow;
            var participant = new VoiceParticipant(me, BaselineServer.DisplayName(http.User), request?.IsMuted ?? false, false, request?.IsVideoEnabled ?? false, false, now);
            await db.SetAddAsync(PresenceKey(dmGroupId), me);
            await db.StringSetAsync(StateKey(dmGroupId, me), JsonSerializer.Serialize(participant, Json));
            var present = await db.SetMembersAsync(PresenceKey(dmGroupId));
            var started = present.Length == 1;
            var callId = started ? callIds.Start(dmGroupId) : callIds.Current(dmGroupId);
            var clients = hub.Clients.Group(Group(dmGroupId));
            if (started)
            {
                var ringing = group.MemberIds.Where(m => m != me).Select(m => new RingingEntry(m, Guid.NewGuid().ToString("N"), now.AddSeconds(30))).ToArray();
                await clients.CallStarted(new CallStartedEvent { DmGroupId = dmGroupId, CallId = callId, Version = 0, User = participant, Ringing = ringing });
            }
            else
            {
                await clients.UserJoined(new UserJoinedEvent { DmGroupId = dmGroupId, CallId = callId, Version = 0, User = participant });
            }

            return Results.Ok(new JoinResult(dmGroupId, callId, started, participant, 0));
        });

        voice.MapPut("/state", async (string dmGroupId, UpdateVoiceStateRequest request, HttpContext http, DmDirectory directory, IConnectionMultiplexer mux, SeedCallIds callIds, IHubContext<SeedHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is null)
            {
                return Results.NotFound();
            }

            var db = mux.GetDatabase();
            var stored = await db.StringGetAsync(StateKey(dmGroupId, me));
            if (stored.IsNullOrEmpty || JsonSerializer.Deserialize<VoiceParticipant>(stored.ToString(), Json) is not { } current)
            {
                return Results.Conflict();
            }

            var updated = current.With(new VoiceStatePatch(request.IsMuted, request.IsDeafened, request.IsVideoEnabled, request.IsScreenSharing));
            await db.StringSetAsync(StateKey(dmGroupId, me), JsonSerializer.Serialize(updated, Json));
            await hub.Clients.Group(Group(dmGroupId)).UserUpdated(new UserUpdatedEvent { DmGroupId = dmGroupId, CallId = callIds.Current(dmGroupId), Version = 0, User = updated });
            return Results.Ok(updated);
        });

        voice.MapDelete("/leave", async (string dmGroupId, HttpContext http, DmDirectory directory, IConnectionMultiplexer mux, SeedCallIds callIds, IHubContext<SeedHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is null)
            {
                return Results.NotFound();
            }

            var db = mux.GetDatabase();
            if (!await db.SetRemoveAsync(PresenceKey(dmGroupId), me))
            {
                return Results.Conflict();
            }

            await db.KeyDeleteAsync(StateKey(dmGroupId, me));
            var present = await db.SetMembersAsync(PresenceKey(dmGroupId));
            var callId = callIds.Current(dmGroupId);
            var clients = hub.Clients.Group(Group(dmGroupId));
            await clients.UserLeft(new UserLeftEvent { DmGroupId = dmGroupId, CallId = callId, Version = 0, UserId = me, Reason = LeaveReasons.Left });
            if (present.Length == 0)
            {
                var now = DateTimeOffset.UtcNow;
                var record = new CallRecord(callId, dmGroupId, me, now, now, 0, CallEndReasons.Ended, [me], []);
                await clients.CallEnded(new CallEndedEvent { DmGroupId = dmGroupId, CallId = callId, Version = 0, Reason = CallEndReasons.Ended, DurationMs = 0, Record = record });
            }

            return Results.NoContent();
        });

        app.MapHub<SeedHub>(BaselineServer.HubPath);
        await app.StartAsync();
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await _redis.DisposeAsync();
        await _redisProcess.DisposeAsync();
    }
}

/// <summary>The current call id per DM (the seed kept it in process memory).</summary>
internal sealed class SeedCallIds
{
    private readonly ConcurrentDictionary<string, string> _ids = new(StringComparer.Ordinal);

    public string Start(string dmGroupId) => _ids[dmGroupId] = Guid.NewGuid().ToString("N");

    public string Current(string dmGroupId) => _ids.TryGetValue(dmGroupId, out var id) ? id : string.Empty;
}

[Authorize]
internal sealed class SeedHub(DmDirectory directory) : Hub<IVoiceClient>
{
    [HubMethodName("sync")]
    public MyVoiceOverview Sync() => new(null, [], []);

    public override async Task OnConnectedAsync()
    {
        foreach (var dmGroupId in directory.DmsOf(Context.UserIdentifier!))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, "dm:" + dmGroupId);
        }

        await base.OnConnectedAsync();
    }
}
