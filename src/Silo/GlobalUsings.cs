global using DmVoice.Grains.Hosting;
global using Orleans.Runtime;
