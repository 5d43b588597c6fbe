// The pagmo2 peer of nac's NSGA-II figure (scripts/bench_strategies.sh): pagmo's nsga2 with its
// default operators (SBX crossover 0.95 with eta 10, polynomial mutation 0.01 with eta 50),
// population 40 for 49 generations (40 + 49 x 40 = 2000 evaluations), on pagmo's own ZDT1 with 30
// variables. Prints the hypervolume of the final population at (1.1, 1.1) (points outside the
// reference box add nothing) and the wall time per evaluation, the evaluation included.
//
//   apt-get install -y libpagmo-dev
//   g++ -O2 -std=c++17 pagmo_zdt1.cpp -o pagmo_zdt1 -lpagmo -lboost_serialization -ltbb
//   ./pagmo_zdt1 SEED
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/problems/zdt.hpp>
#include <pagmo/utils/hypervolume.hpp>

int main(int argc, char** argv) {
  const unsigned seed = argc > 1 ? static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10)) : 0u;
  const unsigned population = 40, generations = 49;
  const auto start = std::chrono::steady_clock::now();
  pagmo::problem problem{pagmo::zdt(1u, 30u)};
  pagmo::population pop{problem, population, seed};
  pagmo::algorithm algorithm{pagmo::nsga2(generations, 0.95, 10., 0.01, 50., seed)};
  pop = algorithm.evolve(pop);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<pagmo::vector_double> inside;  // the final population within the reference box
  for (const auto& f : pop.get_f())
    if (f[0] < 1.1 && f[1] < 1.1) inside.push_back(f);
  const double hv = inside.empty() ? 0.0 : pagmo::hypervolume(inside, true).compute({1.1, 1.1});
  const double evaluations = population + static_cast<double>(generations) * population;
  std::printf("pagmo2 nsga2 ZDT1 n=30, population %u x %u generations: HV(ref 1.1,1.1)=%.4f, %.2f us/eval\n", population,
              generations, hv, seconds / evaluations * 1e6);
  return 0;
}
