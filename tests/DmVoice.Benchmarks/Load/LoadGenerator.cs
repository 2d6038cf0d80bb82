using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DmVoice.Benchmarks.Load;

/// <summary>
/// The client side, identical for every system: users with tokens and SignalR connections, DMs of 2
/// and 3 members, and call cycles (first join → ring at the others → second join → state updates →
/// leaves → call ended). Each step sends one REST request, then waits until every other member's
/// connection got the matching event (name + DM id + acting user): that wait is the end-to-end latency.
/// With several gateways, each user has one of them for its connection and all of its REST requests
/// (<see cref="GatewayOf"/>), so an event crosses gateways whenever actor and observer were given different ones.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly IReadOnlyList<Uri> _gateways;
    private readonly BenchmarkOptions _options;
    private readonly HttpClient[] _http;
    private readonly string _runTag = Guid.NewGuid().ToString("N")[..6];
    private readonly List<CallSlot> _slots = [];
    private readonly List<SimUser> _users = [];
    private readonly int _calls;
    private readonly Func<string, string>? _mintToken;

    /// <param name="gateways">Where clients go: one address for a single-gateway system, else users are spread over them.</param>
    /// <param name="mintToken">Signs a user's token when the system serves no /dev/token (it runs as in production).</param>
    public LoadGenerator(IReadOnlyList<Uri> gateways, BenchmarkOptions options, int? calls = null, Func<string, string>? mintToken = null)
    {
        _mintToken = mintToken;
        if (gateways.Count == 0)
        {
            throw new ArgumentException("At least one gateway address is needed.", nameof(gateways));
        }

        _gateways = gateways;
        _options = options;
        _calls = calls ?? options.Calls;
        _http = gateways.Select(address => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        })
        { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
    }

    public int UserCount => _users.Count;

    public int CallCount => _slots.Count;

    public long UnmatchedEvents => _users.Sum(u => u.Unmatched);

    /// <summary>
    /// Of the events steps wait for, the share whose actor and observer use different gateways
    /// (0 with one gateway). Counted over (actor, observer) pairs of every call; the actors are the
    /// first two members, who join, update and leave.
    /// </summary>
    public double CrossGatewayShare
    {
        get
        {
            var pairs = _slots.SelectMany(s => s.Members.Take(2).SelectMany(a => s.Members.Where(o => o != a).Select(o => a.Gateway != o.Gateway))).ToList();
            return pairs.Count == 0 ? 0 : pairs.Count(crosses => crosses) / (double)pairs.Count;
        }
    }

    /// <summary>
    /// The gateway of member <paramref name="member"/> of call <paramref name="call"/>: the member's
    /// digit of the call number written in base "number of gateways". Consecutive calls thus go through
    /// every assignment of members to gateways in turn, so with two gateways half of all (actor,
    /// observer) pairs are on different gateways, for 1:1 and group calls alike.
    /// </summary>
    public static int GatewayOf(int call, int member, int gateways)
    {
        var digit = call;
        for (var i = 0; i < member; i++)
        {
            digit /= gateways;
        }

        return digit % gateways;
    }

    private HttpClient Http(SimUser user) => _http[user.Gateway];

    /// <summary>One DM whose call is driven by one loop; its members are in no other DM, so calls never collide.</summary>
    private sealed class CallSlot(string dmGroupId, SimUser[] members)
    {
        public string DmGroupId { get; } = dmGroupId;

        public SimUser[] Members { get; } = members;

        public string JoinPath => $"/dm-groups/{DmGroupId}/voice-presence/join";

        public string StatePath => $"/dm-groups/{DmGroupId}/voice-presence/state";

        public string LeavePath => $"/dm-groups/{DmGroupId}/voice-presence/leave";

        public SimUser[] Others(SimUser user) => Members.Where(m => m != user).ToArray();
    }

    /// <summary>Tokens, DMs (2 members, or 3 for the group share), then a connection per user.</summary>
    public async Task SetUpAsync(Action<string, int, int> progress, CancellationToken cancellationToken)
    {
        var groupsSoFar = 0;
        var layouts = new List<SimUser[]>();
        for (var i = 0; i < _calls; i++)
        {
            var isGroup = (int)Math.Floor((i + 1) * _options.GroupShare) > groupsSoFar;
            groupsSoFar += isGroup ? 1 : 0;
            var call = i;
            var members = Enumerable.Range(0, isGroup ? 3 : 2)
                .Select(m => new SimUser($"bench-{_runTag}-{i}-{m}") { Gateway = GatewayOf(call, m, _gateways.Count) })
                .ToArray();
            layouts.Add(members);
            _users.AddRange(members);
        }

        var done = 0;
        await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            if (_mintToken is not null)
            {
                user.Token = _mintToken(user.Id);
            }
            else
            {
                using var response = await Http(user).PostAsJsonAsync("/dev/token", new { userId = user.Id, displayName = user.Id }, ct);
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                user.Token = body.GetProperty("token").GetString()!;
            }

            progress("tokens", Interlocked.Increment(ref done), _users.Count);
        });

        done = 0;
        var slots = new CallSlot[layouts.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, layouts.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var members = layouts[i];
            using var request = new HttpRequestMessage(HttpMethod.Post, "/dm-groups")
            {
                Content = JsonContent.Create(new { memberIds = members.Skip(1).Select(m => m.Id).ToArray() }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", members[0].Token);
            using var response = await Http(members[0]).SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            var group = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
            slots[i] = new CallSlot(group.GetProperty("id").GetString()!, members);
            progress("DM groups", Interlocked.Increment(ref done), layouts.Count);
        });
        _slots.AddRange(slots);

        done = 0;
        await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            await user.ConnectAsync(_gateways[user.Gateway], ct);
            progress("SignalR connections", Interlocked.Increment(ref done), _users.Count);
        });
    }

    /// <summary>Every call gets its first two members joined (events awaited): the "active calls" state memory is measured in.</summary>
    public Task JoinAllAsync(Recorder recorder) =>
        Task.WhenAll(_slots.Select(async slot =>
        {
            var ok = await JoinAsync(slot, slot.Members[0], VoiceEventNames.CallStarted, recorder) &&
                     await JoinAsync(slot, slot.Members[1], VoiceEventNames.UserJoined, recorder);
            if (!ok)
            {
                await LeaveQuietlyAsync(slot);
            }
        }));

    public Task LeaveAllAsync(Recorder recorder) =>
        Task.WhenAll(_slots.Select(async slot =>
        {
            var ok = await LeaveAsync(slot, slot.Members[1], last: false, recorder) &&
                     await LeaveAsync(slot, slot.Members[0], last: true, recorder);
            if (!ok)
            {
                await LeaveQuietlyAsync(slot);
            }
        }));

    /// <summary>
    /// Runs call cycles on the first <paramref name="calls"/> DMs until <paramref name="duration"/>
    /// has passed; each loop finishes its current cycle, so every call ends empty.
    /// </summary>
    /// <returns>What the server's meters recorded over the same window, when <paramref name="counters"/> is given.</returns>
    /// <param name="serverProcesses">Process ids of servers that run outside this process; their CPU is measured too.</param>
    /// <param name="scraped">The counters of out-of-process servers, read at the window's edges (instead of <paramref name="counters"/>).</param>
    /// <param name="redisProcess">The system's redis-server, whose CPU is measured too.</param>
    public async Task<CounterWindow?> RunAsync(
        int calls, TimeSpan duration, int thinkMs, Recorder recorder, Action<double> tick, ServerCounters? counters = null, IReadOnlyList<int>? serverProcesses = null, ScrapedCounters? scraped = null, int? redisProcess = null)
    {
        if (scraped is not null)
        {
            await scraped.BeginAsync();
        }

        using var stop = new CancellationTokenSource();
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var serverCpuBefore = ProcessorTime(serverProcesses);
        IReadOnlyList<int> redis = redisProcess is { } r ? [r] : [];
        var redisCpuBefore = ProcessorTime(redis);
        counters?.Begin();
        var started = Stopwatch.GetTimestamp();
        recorder.Recording = true;
        var loops = _slots.Take(calls).Select(slot => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await CycleAsync(slot, thinkMs, recorder);
            }
        })).ToArray();

        // A progress line about once a second, and one at the end unless the last one was just now.
        var nextTick = 1.0;
        var lastTick = 0.0;
        while (true)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= duration)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp((duration - elapsed).TotalMilliseconds, 1, 1000)));
            var now = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (now >= nextTick || (now >= duration.TotalSeconds && now - lastTick > 0.5))
            {
                tick(now);
                lastTick = now;
                nextTick = Math.Floor(now) + 1;
            }
        }

        recorder.Recording = false;
        var window = counters?.End() ?? (scraped is null ? null : await scraped.EndAsync());
        process.Refresh();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        recorder.CpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        recorder.CpuPercent = recorder.CpuSeconds * 100 / seconds / Environment.ProcessorCount;
        if (serverProcesses is { Count: > 0 })
        {
            recorder.ServerProcessesCpuSeconds = (ProcessorTime(serverProcesses) - serverCpuBefore).TotalSeconds;
            recorder.ServerProcessesCpuPercent = recorder.ServerProcessesCpuSeconds * 100 / seconds / Environment.ProcessorCount;
        }

        if (redis.Count > 0)
        {
            recorder.RedisCpuSeconds = (ProcessorTime(redis) - redisCpuBefore).TotalSeconds;
        }

        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return window;
    }

    /// <summary>
    /// Waits, at most <paramref name="limit"/>, until this process, the system's server processes and
    /// its redis-server together use under 5 % of all cores for two seconds in a row; returns how long it
    /// waited. Work a phase left behind (deferred writes, deactivations, reminder ticks) is then not
    /// counted against the next phase.
    /// </summary>
    public static async Task<TimeSpan> SettleAsync(TimeSpan limit, IReadOnlyList<int> serverProcesses, int? redisProcess, Action<double, double> progress)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<int> processes = [Environment.ProcessId, .. serverProcesses, .. redisProcess is { } r ? [r] : Array.Empty<int>()];
        var quietSeconds = 0;
        var before = ProcessorTime(processes);
        while (Stopwatch.GetElapsedTime(started) < limit && quietSeconds < 2)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = ProcessorTime(processes);
            var percent = (now - before).TotalSeconds * 100 / Environment.ProcessorCount;
            before = now;
            quietSeconds = percent < 5 ? quietSeconds + 1 : 0;
            progress(Stopwatch.GetElapsedTime(started).TotalSeconds, percent);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Total CPU time of the given processes (one that has exited counts as zero).</summary>
    private static TimeSpan ProcessorTime(IReadOnlyList<int>? processIds)
    {
        var total = TimeSpan.Zero;
        foreach (var id in processIds ?? [])
        {
            try
            {
                using var other = Process.GetProcessById(id);
                total += other.TotalProcessorTime;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Gone: nothing to add.
            }
        }

        return total;
    }

    private async Task CycleAsync(CallSlot slot, int thinkMs, Recorder recorder)
    {
        var (a, b) = (slot.Members[0], slot.Members[1]);
        var ok = await JoinAsync(slot, a, VoiceEventNames.CallStarted, recorder);
        ok = ok && await Think(thinkMs) && await JoinAsync(slot, b, VoiceEventNames.UserJoined, recorder);
        for (var i = 0; ok && i < _options.Updates; i++)
        {
            var user = i % 2 == 0 ? a : b;
            var muted = (i / 2) % 2 == 0;
            ok = await Think(thinkMs) && await StepAsync(
                slot, user, HttpMethod.Put, slot.StatePath, Encoding.UTF8.GetBytes(muted ? "{\"isMuted\":true}" : "{\"isMuted\":false}"), "state",
                [(VoiceEventNames.UserUpdated, user.Id)], recorder);
        }

        ok = ok && await Think(thinkMs) && await LeaveAsync(slot, b, last: false, recorder);
        ok = ok && await Think(thinkMs) && await LeaveAsync(slot, a, last: true, recorder);
        if (ok)
        {
            recorder.Cycle();
            await Think(thinkMs);
        }
        else
        {
            await LeaveQuietlyAsync(slot);
            await Task.Delay(100);
        }
    }

    private static async Task<bool> Think(int ms)
    {
        if (ms > 0)
        {
            await Task.Delay(ms);
        }

        return true;
    }

    private Task<bool> JoinAsync(CallSlot slot, SimUser user, string expectedEvent, Recorder recorder) =>
        StepAsync(slot, user, HttpMethod.Post, slot.JoinPath, EmptyObject, "join", [(expectedEvent, user.Id)], recorder);

    private Task<bool> LeaveAsync(CallSlot slot, SimUser user, bool last, Recorder recorder) =>
        StepAsync(
            slot, user, HttpMethod.Delete, slot.LeavePath, null, "leave",
            last ? [(VoiceEventNames.UserLeft, user.Id), (VoiceEventNames.CallEnded, string.Empty)] : [(VoiceEventNames.UserLeft, user.Id)],
            recorder);

    /// <summary>One REST request by <paramref name="actor"/>; then waits for the expected events at every other member.</summary>
    private async Task<bool> StepAsync(
        CallSlot slot, SimUser actor, HttpMethod method, string path, byte[]? body, string op, (string Event, string Subject)[] expected, Recorder recorder)
    {
        var observers = slot.Others(actor);
        var keys = new List<(SimUser Observer, string Key)>(observers.Length * expected.Length);
        var expectations = new List<SimUser.Expectation>(keys.Capacity);
        foreach (var observer in observers)
        {
            foreach (var (eventName, subject) in expected)
            {
                var key = SimUser.Key(eventName, slot.DmGroupId, subject);
                keys.Add((observer, key));
                expectations.Add(observer.Expect(key, eventName, recorder));
            }
        }

        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", actor.Token);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        var sentAt = Stopwatch.GetTimestamp();
        foreach (var expectation in expectations)
        {
            expectation.SentAt = sentAt;
        }

        long done;
        try
        {
            using var response = await Http(actor).SendAsync(request, HttpCompletionOption.ResponseContentRead);
            done = Stopwatch.GetTimestamp();
            if (!response.IsSuccessStatusCode)
            {
                recorder.Error($"rest {op} {(int)response.StatusCode}");
                Forget(keys);
                return false;
            }

            recorder.Latency("rest:" + op, sentAt, done);
            recorder.Latency("rest:all", sentAt, done);
            recorder.Op();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            recorder.Error($"rest {op} {ex.GetType().Name}");
            Forget(keys);
            return false;
        }

        try
        {
            await Task.WhenAll(expectations.Select(e => e.Done.Task)).WaitAsync(TimeSpan.FromSeconds(_options.EventTimeoutSeconds));
            foreach (var expectation in expectations)
            {
                // Negative when the event overtook the response: the server pushed it before answering.
                recorder.Latency("after-rest:" + op, done, expectation.ArrivedAt);
                recorder.Latency("after-rest:all", done, expectation.ArrivedAt);
            }

            return true;
        }
        catch (TimeoutException)
        {
            foreach (var expectation in expectations.Where(e => !e.Done.Task.IsCompleted))
            {
                recorder.Error("event timeout " + expectation.EventName);
            }

            Forget(keys);
            return false;
        }
    }

    private static void Forget(List<(SimUser Observer, string Key)> keys)
    {
        foreach (var (observer, key) in keys)
        {
            observer.Forget(key);
        }
    }

    /// <summary>After a failed step: make sure nobody of the DM stays in its call (errors ignored).</summary>
    private async Task LeaveQuietlyAsync(CallSlot slot)
    {
        foreach (var user in slot.Members)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Delete, slot.LeavePath);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
                using var response = await Http(user).SendAsync(request);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Best effort.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (user, _) => await user.DisposeAsync());
        _users.Clear();
        _slots.Clear();
        foreach (var client in _http)
        {
            client.Dispose();
        }
    }

    public static string Describe(BenchmarkOptions o) => string.Create(
        CultureInfo.InvariantCulture,
        $"{o.Calls} concurrent calls ({o.GroupShare:P0} in 3-member group DMs), cycle = join, join, {o.Updates} state updates, leave, leave");

    public static bool IsLoopback(Uri uri) => IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip);
}
