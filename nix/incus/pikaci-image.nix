# pikaci guest image for Incus (NixOS). Import as a NixOS module next to nixpkgs'
# virtualisation/lxc-container.nix (container) or virtualisation/incus-virtual-machine.nix (VM);
# flake.nix at the repository root wires both variants.
#
# The image owns the guest runner: guest/pikaci-incus-run is packaged and put on the system path,
# so it appears at /run/current-system/sw/bin/pikaci-incus-run (the contract path).
{ config, lib, pkgs, ... }:

let
  pikaci-incus-run = pkgs.writeShellApplication {
    name = "pikaci-incus-run";
    # The runner is POSIX sh; these are the tools it calls (setpriv/setsid from util-linux).
    runtimeInputs = [ pkgs.bash pkgs.coreutils pkgs.util-linux pkgs.gnused pkgs.gnugrep ];
    # It is a sh script that manages its own error handling (no `set -e`); skip shellcheck's bash rules.
    checkPhase = "";
    bashOptions = [ ];
    text = builtins.readFile ../../guest/pikaci-incus-run;
  };
in
{
  options.pikaci.guest = {
    user = lib.mkOption {
      type = lib.types.str;
      default = "pikaci";
      description = "Unprivileged user the guest runner drops to (uid 1000).";
    };
    extraPackages = lib.mkOption {
      type = lib.types.listOf lib.types.package;
      default = [ ];
      description = "Extra tools the lanes need inside the guest.";
    };
  };

  config = {
    system.stateVersion = lib.mkDefault "24.11";

    environment.systemPackages = [
      pikaci-incus-run
      pkgs.bash
      pkgs.coreutils
      pkgs.util-linux
      pkgs.git
      pkgs.python3
      pkgs.nodejs
      pkgs.gnused
      pkgs.gnugrep
      pkgs.findutils
      pkgs.procps
    ] ++ config.pikaci.guest.extraPackages;

    users.groups.${config.pikaci.guest.user}.gid = 1000;
    users.users.${config.pikaci.guest.user} = {
      isNormalUser = true;
      uid = 1000;
      group = config.pikaci.guest.user;
      home = "/home/${config.pikaci.guest.user}";
      createHome = true;
    };

    # Mount points for the read-only snapshot and the writable artifacts dir.
    systemd.tmpfiles.rules = [
      "d /workspace 0755 root root -"
      "d /workspace/snapshot 0755 root root -"
      "d /artifacts 0755 root root -"
    ];

    # CI guests: no network by default, nothing listening, quick boot.
    networking.hostName = lib.mkDefault "pikaci-guest";
    networking.firewall.enable = lib.mkDefault true;
    services.openssh.enable = false;
    documentation.enable = false;
    nix.enable = lib.mkDefault false;
    boot.tmp.cleanOnBoot = true;
  };
}
