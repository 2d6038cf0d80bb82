using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// What both baselines share with each other and with the gateway's client contract: the same HS256
/// bearer scheme (token on the query string for the hub), the same POST /dev/token issuer, and DM
/// groups kept in memory (they are set up before the measurement, not on the hot path).
/// </summary>
internal static class BaselineServer
{
    public const string HubPath = "/hubs/voice";

    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--environment", "Benchmark", "--Logging:LogLevel:Default=Warning"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<AuthOptions>(o =>
        {
            o.SigningKey = Loopback.SigningKey;
            o.EnableDevTokens = true;
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DevTokenIssuer>();
        builder.Services.AddSingleton<DmDirectory>();
        builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
        builder.Services.AddSignalR();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            var auth = new AuthOptions();
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Issuer,
                ValidAudience = auth.Audience,
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Loopback.SigningKey)),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "name",
            };
            o.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    var token = context.Request.Query["access_token"];
                    if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(HubPath))
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
            };
        });
        builder.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        return builder;
    }

    /// <summary>POST /dev/token and POST /dm-groups, as the gateway serves them.</summary>
    public static void MapCommon(WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapPost("/dev/token", (DevTokenRequest request, DevTokenIssuer issuer, TimeProvider time) =>
        {
            var userId = Validate.Id(request.UserId, "userId");
            return new DevTokenResponse(issuer.Issue(userId, request.DisplayName), userId, time.GetUtcNow().AddHours(12));
        }).AllowAnonymous();
        app.MapPost("/dm-groups", (CreateDmGroupRequest request, HttpContext http, DmDirectory directory, TimeProvider time) =>
        {
            var me = UserId(http.User);
            var others = (request.MemberIds ?? []).Where(id => id != me).Distinct(StringComparer.Ordinal).ToArray();
            if (others.Length == 0)
            {
                return Results.BadRequest();
            }

            var isGroup = others.Length > 1 || request.Name is not null;
            var id = isGroup ? DmGroupIds.NewGroup() : DmGroupIds.ForPair(me, others[0]);
            var group = new DmGroup(id, request.Name, me, [me, .. others], time.GetUtcNow(), isGroup);
            directory.Add(group);
            return Results.Created($"/dm-groups/{id}", group);
        });
    }

    public static string UserId(ClaimsPrincipal user) => user.FindFirstValue("sub") ?? throw new InvalidOperationException("no sub");

    public static string DisplayName(ClaimsPrincipal user) => user.FindFirstValue("name") is { Length: > 0 } name ? name : UserId(user);
}

/// <summary>DM groups and each user's DMs, in memory.</summary>
internal sealed class DmDirectory
{
    private readonly ConcurrentDictionary<string, DmGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _byUser = new(StringComparer.Ordinal);

    public void Add(DmGroup group)
    {
        _groups[group.Id] = group;
        foreach (var member in group.MemberIds)
        {
            _byUser.GetOrAdd(member, static _ => new(StringComparer.Ordinal))[group.Id] = 0;
        }
    }

    /// <summary>The DM if <paramref name="userId"/> is a member, else null.</summary>
    public DmGroup? Find(string dmGroupId, string userId) =>
        _groups.TryGetValue(dmGroupId, out var group) && group.MemberIds.Contains(userId) ? group : null;

    public IEnumerable<string> DmsOf(string userId) =>
        _byUser.TryGetValue(userId, out var dms) ? dms.Keys : [];
}
