using System.Globalization;
using System.Net;
using DmVoice.TestSupport.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;

namespace DmVoice.TestSupport.Processes;

/// <summary>
/// A DmVoice deployment made of real processes on this machine: a private redis-server (Redis mode)
/// and any number of silos and gateways, each bound to its own loopback address as if it were its own
/// host. Every process shares the cluster's settings; <see cref="DisposeAsync"/> kills whatever still
/// runs and removes Redis, also when the test failed. Logs: <see cref="LogDirectory"/>.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await ProcessCluster.StartAsync("failover");
/// var hosts = cluster.Hosts;
/// var ports = cluster.SiloPorts(hosts.Host(2), hosts.Host(3));          // the same ports on both
/// var a = cluster.AddSilo("silo-a", hosts.Host(2), ports);
/// var b = cluster.AddSilo("silo-b", hosts.Host(3), ports);
/// var g = cluster.AddGateway("gateway-1", hosts.Host(4));
/// await cluster.StartAllAsync();                                        // in parallel, until ready
/// await a.KillAsync();                                                  // SIGKILL
/// </code>
/// </example>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>HS256 key every gateway of a process cluster shares (dev tokens are on unless the cluster runs as in production).</summary>
    public const string SigningKey = "process-cluster-signing-key-0123456789-abcdef";

    private readonly List<DmVoiceProcess> _processes = [];
    private IHost? _observer;

    private ProcessCluster(string name, RedisServer? redis)
    {
        Redis = redis;
        ClusterId = "proc-" + Guid.NewGuid().ToString("N")[..8];
        Hosts = LoopbackAddresses.Reserve();
        LogDirectory = Path.Combine(AppContext.BaseDirectory, "process-logs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{name}-{ClusterId}");
        Directory.CreateDirectory(LogDirectory);
    }

    /// <summary>The private redis-server (null in Localhost mode).</summary>
    public RedisServer? Redis { get; }

    public string ClusterId { get; }

    /// <summary>This cluster's own block of loopback addresses (127.x.y.2, .3, …).</summary>
    public LoopbackAddresses Hosts { get; }

    /// <summary>Where every process writes <c>&lt;name&gt;.log</c> (under the test's output folder).</summary>
    public string LogDirectory { get; }

    public IReadOnlyList<DmVoiceProcess> Processes => _processes;

    public IEnumerable<DmVoiceProcess> Silos => _processes.Where(p => p.App == DmVoiceApp.Silo);

    public IEnumerable<DmVoiceProcess> Gateways => _processes.Where(p => p.App == DmVoiceApp.Gateway);

    /// <summary>
    /// Settings every process gets: the cluster's identity and storage, dev tokens on a shared key, and
    /// failure detection in about two seconds instead of Orleans' fifteen (silos only read it).
    /// Change them before adding processes.
    /// </summary>
    public Dictionary<string, string?> CommonSettings { get; } = [];

    /// <summary>
    /// Environment variables every process gets (null removes one): the runtime settings of deploy/
    /// (<see cref="DeployRuntime"/>) and, for a cluster that runs as in production, its environment name.
    /// Change them before adding processes.
    /// </summary>
    public Dictionary<string, string?> CommonEnvironment { get; } = new(DeployRuntime.Environment);

    /// <summary>Which build of the silo and gateway the processes added from now on run (the built ones unless set).</summary>
    public DmVoiceApps? Apps { get; set; }

    /// <summary>Production environment, no dev tokens: clients get tokens from <see cref="MintToken"/>, as from an identity provider.</summary>
    public bool RunsAsProduction { get; private set; }

    /// <summary>
    /// A cluster in Redis mode on a private redis-server (skipped, or failed under CI=true, without
    /// redis-server), or with <paramref name="redis"/> false, Localhost mode: one silo with in-memory
    /// state that gateways join as clients. With <paramref name="durableRedis"/>, Redis keeps its data
    /// across a kill and restart (<see cref="RedisServer.StartDurableAsync"/>), as a production one would.
    /// </summary>
    /// <param name="production">
    /// Run every process as a deployment does: the Production environment and no dev tokens (tokens from
    /// <see cref="MintToken"/>). Tests that sign in through /dev/token leave it off.
    /// </param>
    public static async Task<ProcessCluster> StartAsync(string name, bool redis = true, bool durableRedis = false, bool production = false)
    {
        RedisServer? server = null;
        if (redis)
        {
            server = durableRedis ? await RedisServer.StartDurableAsync() : await RedisServer.StartAsync();
        }

        try
        {
            var cluster = new ProcessCluster(name, server);
            cluster.CommonSettings["Cluster:Mode"] = redis ? "Redis" : "Localhost";
            cluster.CommonSettings["Cluster:ClusterId"] = cluster.ClusterId;
            cluster.CommonSettings["Cluster:ServiceId"] = cluster.ClusterId;
            if (server is not null)
            {
                cluster.CommonSettings["ConnectionStrings:Redis"] = server.ConnectionString;
            }

            cluster.CommonSettings["Cluster:Membership:ProbeTimeout"] = "00:00:01";
            cluster.CommonSettings["Cluster:Membership:NumMissedProbesLimit"] = "2";
            cluster.CommonSettings["Cluster:Membership:IAmAliveTablePublishTimeout"] = "00:00:05";

            // A killed gateway is given up in seconds too (Orleans checks once per timeout, so 2 to 4 s):
            // until then calls to it hang, and in Streams mode they hold up the other deliveries of a queue
            // longer than a test waits for an event (docs/RELIABILITY.md, finding 7).
            cluster.CommonSettings["Cluster:ClientDropTimeout"] = "00:00:02";
            cluster.CommonSettings["Auth:SigningKey"] = SigningKey;
            cluster.RunsAsProduction = production;
            if (production)
            {
                cluster.CommonEnvironment["DOTNET_ENVIRONMENT"] = "Production";
                cluster.CommonEnvironment["ASPNETCORE_ENVIRONMENT"] = "Production";
            }
            else
            {
                cluster.CommonSettings["Auth:EnableDevTokens"] = "true";
            }

            return cluster;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Silo, gateway and management ports that are free on every one of <paramref name="hosts"/>.</summary>
    public SiloPorts SiloPorts(params IPAddress[] hosts)
    {
        // Localhost clustering binds 127.0.0.1 whatever the host address, so those ports must be free there too.
        IPAddress[] addresses = Redis is null ? [.. hosts, IPAddress.Loopback] : hosts;
        var silo = LoopbackAddresses.FreePort(addresses);
        int gateway, management;
        do
        {
            gateway = LoopbackAddresses.FreePort(addresses);
            management = LoopbackAddresses.FreePort(addresses);
        }
        while (new HashSet<int> { silo, gateway, management }.Count < 3);

        return new SiloPorts(silo, gateway, management);
    }

    /// <summary>
    /// A silo that advertises and binds only <paramref name="host"/> (Redis mode), with its management
    /// endpoints on http://host:ports.Management. Not started: see <see cref="StartAllAsync"/>.
    /// </summary>
    public DmVoiceProcess AddSilo(string name, IPAddress host, SiloPorts ports, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>(CommonSettings)
        {
            ["Cluster:SiloPort"] = ports.Silo.ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = ports.Gateway.ToString(CultureInfo.InvariantCulture),
            ["Silo:ManagementUrls"] = $"http://{host}:{ports.Management}",
        };
        if (Redis is not null)
        {
            settings["Cluster:AdvertisedIPAddress"] = host.ToString();
            settings["Cluster:ListenOnAnyAddress"] = "false";
        }

        configure?.Invoke(settings);
        return Add(new DmVoiceProcess(name, DmVoiceApp.Silo, new Uri($"http://{host}:{ports.Management}"), settings, LogDirectory, CommonEnvironment, apps: Apps));
    }

    /// <summary>
    /// A gateway on http://host:port (a free port unless given). In Redis mode it finds the silos in
    /// Redis; in Localhost mode it joins the first silo added.
    /// </summary>
    public DmVoiceProcess AddGateway(string name, IPAddress host, int? port = null, Action<Dictionary<string, string?>>? configure = null)
    {
        var httpPort = port ?? LoopbackAddresses.FreePort(host);
        var managementPort = LoopbackAddresses.FreePort(host);
        var settings = new Dictionary<string, string?>(CommonSettings)
        {
            ["urls"] = $"http://{host}:{httpPort}",
            ["Gateway:ManagementUrls"] = $"http://{host}:{managementPort}",
            ["Gateway:CoHostSilo"] = "false",
        };
        if (Redis is null)
        {
            var silo = Silos.FirstOrDefault() ?? throw new InvalidOperationException("In Localhost mode, add the silo before its gateways.");
            settings["Cluster:GatewayPort"] = silo.Settings["Cluster:GatewayPort"];
        }

        configure?.Invoke(settings);
        return Add(new DmVoiceProcess(
            name, DmVoiceApp.Gateway, new Uri($"http://{host}:{httpPort}"), settings, LogDirectory, CommonEnvironment, new Uri($"http://{host}:{managementPort}"), Apps));
    }

    /// <summary>
    /// A bearer token for <paramref name="userId"/> signed with the cluster's key, as an identity provider
    /// would issue it (issuer and audience "dmvoice", one hour).
    /// </summary>
    public static string MintToken(string userId, string? displayName = null)
    {
        var claims = new List<System.Security.Claims.Claim> { new("sub", userId) };
        if (!string.IsNullOrWhiteSpace(displayName))
        {
            claims.Add(new System.Security.Claims.Claim("name", displayName));
        }

        var now = DateTime.UtcNow;
        var descriptor = new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = "dmvoice",
            Audience = "dmvoice",
            Subject = new System.Security.Claims.ClaimsIdentity(claims),
            NotBefore = now,
            IssuedAt = now,
            Expires = now.AddHours(1),
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(SigningKey)),
                Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        };
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>Starts every process not running yet: silos first, all at once, then gateways; waits until all are ready.</summary>
    public async Task StartAllAsync()
    {
        await Task.WhenAll(Silos.Where(p => !p.IsRunning).Select(p => p.StartAsync()));
        await Task.WhenAll(Gateways.Where(p => !p.IsRunning).Select(p => p.StartAsync()));
    }

    /// <summary>
    /// An Orleans client of this cluster for the test itself (Redis mode), to ask what an operator's
    /// tools would: which silos are members (<c>IManagementGrain.GetDetailedHosts</c>), where a grain
    /// lives (<c>GetActivationAddress</c>).
    /// </summary>
    public async Task<IClusterClient> ConnectObserverAsync()
    {
        if (_observer is not null)
        {
            return _observer.Services.GetRequiredService<IClusterClient>();
        }

        var redis = Redis ?? throw new InvalidOperationException("The observer needs Redis mode.");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ClusterId;
            });
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString));
        });
        var host = builder.Build();
        await host.StartAsync();
        _observer = host;
        return host.Services.GetRequiredService<IClusterClient>();
    }

    public async ValueTask DisposeAsync()
    {
        if (_observer is not null)
        {
            try
            {
                using var quickly = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _observer.StopAsync(quickly.Token);
            }
            catch (OperationCanceledException)
            {
                // The cluster may be gone already; nothing to wait for.
            }

            _observer.Dispose();
        }

        await Task.WhenAll(_processes.Select(p => p.DisposeAsync().AsTask()));
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }

    private DmVoiceProcess Add(DmVoiceProcess process)
    {
        if (_processes.Any(p => p.Name == process.Name))
        {
            throw new InvalidOperationException($"There is already a process named {process.Name}.");
        }

        _processes.Add(process);
        return process;
    }
}

/// <param name="Silo">Cluster:SiloPort (silo to silo).</param>
/// <param name="Gateway">Cluster:GatewayPort (gateways to silos).</param>
/// <param name="Management">The port of Silo:ManagementUrls.</param>
public sealed record SiloPorts(int Silo, int Gateway, int Management);
