{
  description = "pikaci: CI lanes in throw-away Incus instances; the NixOS guest image";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      mkGuest = variantModule: nixpkgs.lib.nixosSystem {
        inherit system;
        modules = [
          variantModule
          ./nix/incus/pikaci-image.nix
        ];
      };
      container = mkGuest "${nixpkgs}/nixos/modules/virtualisation/lxc-container.nix";
      vm = mkGuest "${nixpkgs}/nixos/modules/virtualisation/incus-virtual-machine.nix";
    in
    {
      nixosModules.pikaci-guest = ./nix/incus/pikaci-image.nix;

      nixosConfigurations = {
        pikaci-guest-container = container;
        pikaci-guest-vm = vm;
      };

      # Import with:
      #   incus image import result-metadata/tarball/*.tar.xz result-rootfs/tarball/*.tar.xz --alias pikaci-guest   (container)
      #   incus image import result-metadata/tarball/*.tar.xz result-disk/nixos.qcow2 --alias pikaci-guest-vm      (VM)
      packages.${system} = {
        container-metadata = container.config.system.build.metadata;
        container-rootfs = container.config.system.build.tarball;
        vm-metadata = vm.config.system.build.metadata;
        vm-disk = vm.config.system.build.qemuImage;
        pikaci-incus-run = pkgs.writeShellScriptBin "pikaci-incus-run" (builtins.readFile ./guest/pikaci-incus-run);
        default = self.packages.${system}.container-rootfs;
      };
    };
}
