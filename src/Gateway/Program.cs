using DmVoice.Gateway;

var app = GatewayApp.Build(args);
await app.RunAsync();

/// <summary>Entry point; see <see cref="GatewayApp"/>.</summary>
public partial class Program;
